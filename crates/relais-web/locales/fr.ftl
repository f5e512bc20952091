# Relais — catalogue français. Les identifiants sont les mêmes dans en.ftl.

## Gabarit
skip-to-content = Aller au contenu
lang-label = Langue
lang-fr = Français
lang-en = English
footer-powered = Propulsé par Relais, logiciel libre d’engagement associatif
nav-main = Navigation principale
nav-dashboard = Tableau de bord
nav-settings = Paramètres
nav-staff = Équipe
nav-outbox = Envois en échec
nav-account = Mon compte
nav-sign-out = Se déconnecter
nav-staff-area = Espace équipe
form-errors-title = Le formulaire contient des erreurs. Corrigez les champs signalés :
saved = Modifications enregistrées.
required-mark = (obligatoire)

## Accueil et page d’association
home-title = Associations
home-intro = Les associations qui se mobilisent avec ce Relais.
home-empty = Aucune association pour l’instant.
org-contact = Nous écrire
org-purpose = Notre objet
org-legal = Informations légales
org-rna = Numéro RNA
org-siren = Numéro SIREN
org-address = Siège
org-tax-eligible = Les dons à { $org } ouvrent droit à une réduction d’impôt de 66 % de leur montant.
org-logo-alt = Logo de { $org }
org-staff-link = Vous faites partie de l’équipe ? Connectez-vous

## Pages d’erreur
error-title-400 = Demande invalide
error-text-400 = La demande n’a pas pu être comprise.
error-title-403 = Accès refusé
error-text-403 = Vous n’avez pas les droits nécessaires pour cette page.
error-text-csrf = Le formulaire a expiré ou ne provient pas de ce site. Rechargez la page et recommencez.
error-title-404 = Page introuvable
error-text-404 = Cette page n’existe pas ou a été déplacée.
error-title-413 = Fichier trop volumineux
error-text-413 = Le fichier envoyé dépasse la taille autorisée.
error-title-429 = Trop de demandes
error-text-429 = Vous avez fait beaucoup de demandes en peu de temps. Réessayez dans quelques minutes.
error-title-500 = Erreur interne
error-text-500 = Un problème est survenu de notre côté. L’équipe technique a été prévenue ; réessayez dans un moment.
error-back-home = Retour à l’accueil

## Connexion
login-title = Connexion à l’espace équipe
login-intro = Recevez un lien de connexion par e-mail : pas de mot de passe à retenir.
field-email = Adresse e-mail
login-send-link = Recevoir un lien de connexion
login-sent-title = Vérifiez votre boîte mail
login-sent-text = Si cette adresse appartient à un membre d’une équipe, un lien de connexion valable { $minutes } minutes vient d’y être envoyé.
login-password-title = Ou avec un mot de passe
field-password = Mot de passe
login-submit = Se connecter
login-forgot = Mot de passe oublié ?
login-failed = Adresse ou mot de passe incorrect.
link-expired-title = Ce lien a expiré
link-expired-text = Les liens sont valables peu de temps et ne servent qu’une fois. Demandez-en un nouveau :
link-invalid-title = Ce lien n’est pas valide
link-invalid-text = Il a peut-être déjà servi ou a été mal copié. Demandez un nouveau lien :
reset-title = Mot de passe oublié
reset-intro = Nous vous enverrons un lien pour choisir un nouveau mot de passe.
reset-send = Envoyer le lien
reset-sent-text = Si cette adresse correspond à un compte, un lien valable { $minutes } minutes vient d’y être envoyé.
reset-choose-title = Choisir un nouveau mot de passe
field-new-password = Nouveau mot de passe
field-password-hint = Au moins 10 caractères.
reset-save = Enregistrer le mot de passe
reset-done = Mot de passe enregistré. Vous êtes connecté·e.
err-password-short = Le mot de passe doit compter au moins 10 caractères.
err-password-long = Le mot de passe ne doit pas dépasser 256 caractères.

## Tableau de bord
dashboard-title = Tableau de bord
dashboard-welcome = Bonjour { $email }
dashboard-role = Votre rôle dans { $org } : { $role }.
dashboard-public-page = Voir la page publique
dashboard-dead = Envois en échec : { $count }
dashboard-no-org = Vous ne faites partie d’aucune association pour l’instant.
switch-label = Association
switch-submit = Changer d’association
role-owner = Propriétaire
role-admin = Administrateur·rice
role-editor = Éditeur·rice
role-viewer = Lecteur·rice

## Paramètres
settings-title = Paramètres de l’association
settings-identity = Identité
field-name = Nom
field-slug = Adresse web
field-slug-hint = Lettres minuscules, chiffres et tirets. La page publique sera { $url }.
field-contact-email = E-mail de contact
field-primary-color = Couleur principale
field-primary-color-hint = Boutons et bandeau ; le texte blanc doit y rester lisible.
field-accent-color = Couleur d’accent
field-accent-color-hint = Liens et mises en valeur sur fond blanc.
settings-legal = Identité légale (pour les reçus fiscaux)
field-legal-name = Nom légal, s’il diffère
field-rna = Numéro RNA
field-siren = Numéro SIREN
field-address = Adresse du siège
field-purpose = Objet de l’association
field-tax-eligible = Les dons ouvrent droit à la réduction d’impôt (articles 200 et 238 bis du CGI)
settings-regional = Région et langue
field-timezone = Fuseau horaire
field-default-locale = Langue par défaut des pages publiques
settings-save = Enregistrer les paramètres
settings-logo = Logo
field-logo = Image PNG, JPEG, WebP ou GIF, 5 Mo au plus
logo-upload = Envoyer le logo
logo-remove = Retirer le logo
logo-current = Logo actuel
logo-saved = Logo enregistré.
logo-removed = Logo retiré.

## Erreurs de champ
err-required = Ce champ est obligatoire.
err-too-long = Ce texte est trop long.
err-email = Cette adresse e-mail n’est pas valide (exemple : nom@domaine.fr).
err-slug-length = Entre 2 et 48 caractères.
err-slug-charset = Uniquement des lettres minuscules sans accent, des chiffres et des tirets (pas au début ni à la fin).
err-slug-reserved = Cette adresse est réservée ; choisissez-en une autre.
err-slug-taken = Cette adresse est déjà prise par une autre association.
err-color = Une couleur s’écrit #rrvvbb, par exemple #1d4ed8.
err-color-contrast = Cette couleur est trop claire pour rester lisible avec du blanc (contraste { $value }:1, il faut au moins 4,5:1). Choisissez une couleur plus foncée.
err-rna = Un numéro RNA commence par W suivi de 9 caractères (exemple : W751234567).
err-siren = Un numéro SIREN compte 9 chiffres dont une clé de contrôle valide.
err-legal-id-needed = Indiquez un numéro RNA ou SIREN : il figure sur les reçus fiscaux.
err-needed-for-receipts = Obligatoire pour émettre des reçus fiscaux.
err-timezone = Fuseau horaire inconnu (exemple : Europe/Paris).
err-locale = Langue non prise en charge.
err-role = Rôle inconnu.
err-logo-type = Ce fichier n’est pas une image PNG, JPEG, WebP ou GIF lisible.
err-logo-size = L’image dépasse 5 Mo.
err-logo-missing = Choisissez un fichier image.

## Équipe
staff-title = Équipe
staff-roles-help = Lecteur·rice : consulte. Éditeur·rice : rédige pétitions, campagnes et messages. Administrateur·rice : paramètres et envois. Propriétaire : gère aussi l’équipe.
staff-col-email = E-mail
staff-col-role = Rôle
staff-col-status = Statut
staff-col-actions = Actions
staff-status-active = Active
staff-status-invited = Invitation envoyée
staff-you = (vous)
staff-change-role = Changer le rôle
staff-remove = Retirer
staff-invite = Inviter une personne
field-role = Rôle
staff-invite-submit = Envoyer l’invitation
staff-invited = Invitation envoyée à { $email }.
staff-updated = Rôle modifié.
staff-removed = Personne retirée de l’équipe.
err-last-owner = L’association doit garder au moins un·e propriétaire.

## Mon compte
account-title = Mon compte
account-password = Mot de passe
account-password-intro = Facultatif : la connexion par lien e-mail fonctionne toujours.
account-password-save = Enregistrer le mot de passe
account-password-saved = Mot de passe enregistré. Vos autres sessions ont été fermées.
account-memberships = Mes associations

## Envois en échec
outbox-title = Envois en échec
outbox-intro = Ces messages n’ont pas pu être remis après plusieurs tentatives. Corrigez la cause (adresse, serveur d’envoi) puis réessayez.
outbox-empty = Aucun envoi en échec.
outbox-col-date = Date
outbox-col-channel = Canal
outbox-col-recipient = Destinataire
outbox-col-subject = Objet
outbox-col-attempts = Tentatives
outbox-col-error = Dernière erreur
outbox-retry = Réessayer
outbox-retried = Message remis dans la file d’envoi.

## E-mails
email-hello = Bonjour,
email-ignore = Si vous n’êtes pas à l’origine de cette demande, ignorez ce message : rien ne se passera sans ce lien.
email-login-subject = Votre lien de connexion à Relais
email-login-intro = Voici votre lien de connexion à l’espace équipe. Il est valable { $minutes } minutes et ne sert qu’une fois.
email-login-button = Me connecter
email-invite-subject = { $org } vous invite dans son équipe
email-invite-intro = { $inviter } vous invite à rejoindre l’équipe de { $org } sur Relais, avec le rôle : { $role }. Ce lien est valable { $days } jours et ne sert qu’une fois.
email-invite-button = Rejoindre l’équipe
email-reset-subject = Choisir un nouveau mot de passe Relais
email-reset-intro = Pour choisir un nouveau mot de passe, suivez ce lien. Il est valable { $minutes } minutes et ne sert qu’une fois.
email-reset-button = Choisir un mot de passe
email-footer = Message envoyé par Relais.
