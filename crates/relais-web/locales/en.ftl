# Relais — English catalogue. Ids are the same as in fr.ftl.

## Layout
skip-to-content = Skip to content
lang-label = Language
lang-fr = Français
lang-en = English
footer-powered = Powered by Relais, free software for nonprofit mobilisation
nav-main = Main navigation
nav-dashboard = Dashboard
nav-settings = Settings
nav-staff = Staff
nav-outbox = Failed deliveries
nav-account = My account
nav-sign-out = Sign out
nav-staff-area = Staff area
form-errors-title = The form has errors. Please correct the fields marked below:
saved = Changes saved.
required-mark = (required)

## Home and association page
home-title = Associations
home-intro = The associations mobilising with this Relais.
home-empty = No association yet.
org-contact = Write to us
org-purpose = Our purpose
org-legal = Legal information
org-rna = RNA number
org-siren = SIREN number
org-address = Registered office
org-tax-eligible = Gifts to { $org } qualify for a French income tax reduction of 66% of their amount.
org-logo-alt = { $org } logo
org-staff-link = Part of the team? Sign in

## Error pages
error-title-400 = Bad request
error-text-400 = The request could not be understood.
error-title-403 = Access denied
error-text-403 = You do not have the rights needed for this page.
error-text-csrf = The form has expired or does not come from this site. Reload the page and try again.
error-title-404 = Page not found
error-text-404 = This page does not exist or has moved.
error-title-413 = File too large
error-text-413 = The file you sent is larger than allowed.
error-title-429 = Too many requests
error-text-429 = You made many requests in a short time. Please try again in a few minutes.
error-title-500 = Internal error
error-text-500 = Something went wrong on our side. The technical team has been notified; please try again shortly.
error-back-home = Back to the home page

## Sign-in
login-title = Sign in to the staff area
login-intro = Get a sign-in link by e-mail: no password to remember.
field-email = E-mail address
login-send-link = Send me a sign-in link
login-sent-title = Check your mailbox
login-sent-text = If this address belongs to a staff member, a sign-in link valid for { $minutes } minutes has just been sent to it.
login-password-title = Or with a password
field-password = Password
login-submit = Sign in
login-forgot = Forgot your password?
login-failed = Wrong e-mail address or password.
link-expired-title = This link has expired
link-expired-text = Links are valid for a short time and work only once. Ask for a new one:
link-invalid-title = This link is not valid
link-invalid-text = It may have been used already or copied incompletely. Ask for a new link:
reset-title = Forgot your password
reset-intro = We will send you a link to choose a new password.
reset-send = Send the link
reset-sent-text = If this address matches an account, a link valid for { $minutes } minutes has just been sent to it.
reset-choose-title = Choose a new password
field-new-password = New password
field-password-hint = At least 10 characters.
reset-save = Save the password
reset-done = Password saved. You are signed in.
err-password-short = The password must have at least 10 characters.
err-password-long = The password must not exceed 256 characters.

## Dashboard
dashboard-title = Dashboard
dashboard-welcome = Hello { $email }
dashboard-role = Your role in { $org }: { $role }.
dashboard-public-page = See the public page
dashboard-dead = Failed deliveries: { $count }
dashboard-no-org = You are not part of any association yet.
switch-label = Association
switch-submit = Switch association
role-owner = Owner
role-admin = Administrator
role-editor = Editor
role-viewer = Viewer

## Settings
settings-title = Association settings
settings-identity = Identity
field-name = Name
field-slug = Web address
field-slug-hint = Lowercase letters, digits and hyphens. The public page will be { $url }.
field-contact-email = Contact e-mail
field-primary-color = Main colour
field-primary-color-hint = Buttons and banner; white text must stay readable on it.
field-accent-color = Accent colour
field-accent-color-hint = Links and highlights on a white background.
settings-legal = Legal identity (for tax receipts)
field-legal-name = Legal name, if different
field-rna = RNA number
field-siren = SIREN number
field-address = Registered address
field-purpose = Purpose of the association
field-tax-eligible = Gifts qualify for the French tax reduction (articles 200 and 238 bis CGI)
settings-regional = Region and language
field-timezone = Time zone
field-default-locale = Default language of public pages
settings-save = Save settings
settings-logo = Logo
field-logo = PNG, JPEG, WebP or GIF image, 5 MB at most
logo-upload = Upload the logo
logo-remove = Remove the logo
logo-current = Current logo
logo-saved = Logo saved.
logo-removed = Logo removed.

## Field errors
err-required = This field is required.
err-too-long = This text is too long.
err-email = This e-mail address is not valid (example: name@domain.org).
err-slug-length = Between 2 and 48 characters.
err-slug-charset = Only lowercase unaccented letters, digits and hyphens (not at the start or end).
err-slug-reserved = This address is reserved; choose another one.
err-slug-taken = This address is already used by another association.
err-color = A colour is written #rrggbb, for instance #1d4ed8.
err-color-contrast = This colour is too light to stay readable with white (contrast { $value }:1, at least 4.5:1 needed). Choose a darker colour.
err-rna = An RNA number is W followed by 9 characters (example: W751234567).
err-siren = A SIREN number has 9 digits including a valid check digit.
err-legal-id-needed = Enter an RNA or SIREN number: tax receipts print it.
err-needed-for-receipts = Required to issue tax receipts.
err-timezone = Unknown time zone (example: Europe/Paris).
err-locale = Unsupported language.
err-role = Unknown role.
err-logo-type = This file is not a readable PNG, JPEG, WebP or GIF image.
err-logo-size = The image is larger than 5 MB.
err-logo-missing = Choose an image file.

## Staff
staff-title = Staff
staff-roles-help = Viewer: reads. Editor: writes petitions, campaigns and messages. Administrator: settings and deliveries. Owner: also manages the staff.
staff-col-email = E-mail
staff-col-role = Role
staff-col-status = Status
staff-col-actions = Actions
staff-status-active = Active
staff-status-invited = Invitation sent
staff-you = (you)
staff-change-role = Change role
staff-remove = Remove
staff-invite = Invite someone
field-role = Role
staff-invite-submit = Send the invitation
staff-invited = Invitation sent to { $email }.
staff-updated = Role changed.
staff-removed = Person removed from the staff.
err-last-owner = The association must keep at least one owner.

## My account
account-title = My account
account-password = Password
account-password-intro = Optional: signing in with an e-mailed link always works.
account-password-save = Save the password
account-password-saved = Password saved. Your other sessions were signed out.
account-memberships = My associations

## Failed deliveries
outbox-title = Failed deliveries
outbox-intro = These messages could not be delivered after several attempts. Fix the cause (address, mail server), then retry.
outbox-empty = No failed delivery.
outbox-col-date = Date
outbox-col-channel = Channel
outbox-col-recipient = Recipient
outbox-col-subject = Subject
outbox-col-attempts = Attempts
outbox-col-error = Last error
outbox-retry = Retry
outbox-retried = Message put back in the delivery queue.

## E-mails
email-hello = Hello,
email-ignore = If you did not ask for this, ignore this message: nothing happens without this link.
email-login-subject = Your Relais sign-in link
email-login-intro = Here is your link to the staff area. It is valid for { $minutes } minutes and works once.
email-login-button = Sign me in
email-invite-subject = { $org } invites you to its staff
email-invite-intro = { $inviter } invites you to join the staff of { $org } on Relais, with the role: { $role }. This link is valid for { $days } days and works once.
email-invite-button = Join the staff
email-reset-subject = Choose a new Relais password
email-reset-intro = To choose a new password, follow this link. It is valid for { $minutes } minutes and works once.
email-reset-button = Choose a password
email-footer = Message sent by Relais.
