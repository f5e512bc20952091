//! E-mails sent by the web layer, rendered from subject + text + HTML templates.

use askama::Template;
use relais_store::Payload;

use crate::AppError;
use crate::i18n::Tr;

#[derive(Template)]
#[template(path = "emails/link.txt", escape = "none")]
struct LinkText<'a> {
    t: &'a Tr,
    intro: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "emails/link.html")]
struct LinkHtml<'a> {
    t: &'a Tr,
    subject: &'a str,
    intro: &'a str,
    button: &'a str,
    link: &'a str,
}

/// An e-mail whose point is one link (sign-in, invitation, password reset).
pub(crate) struct LinkEmail<'a> {
    pub t: &'a Tr,
    pub subject: String,
    pub intro: String,
    pub button: String,
    pub link: String,
    pub from_name: Option<String>,
}

impl LinkEmail<'_> {
    pub(crate) fn payload(&self) -> Result<Payload, AppError> {
        let text = LinkText {
            t: self.t,
            intro: &self.intro,
            link: &self.link,
        }
        .render()?;
        let html = LinkHtml {
            t: self.t,
            subject: &self.subject,
            intro: &self.intro,
            button: &self.button,
            link: &self.link,
        }
        .render()?;
        Ok(Payload {
            subject: self.subject.clone(),
            text,
            html: Some(html),
            from_name: self.from_name.clone(),
            reply_to: None,
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use relais_core::Locale;
    use std::sync::Arc;

    fn login_email(locale: Locale) -> Payload {
        let t = Tr::new(Arc::new(crate::i18n::Catalogues::load()), locale);
        LinkEmail {
            t: &t,
            subject: t.get("email-login-subject"),
            intro: t.arg("email-login-intro", "minutes", "30"),
            button: t.get("email-login-button"),
            link: "https://relais.example/admin/auth?token=abc&x=<1>".into(),
            from_name: None,
        }
        .payload()
        .unwrap()
    }

    #[test]
    fn login_email_in_french() {
        let p = login_email(Locale::Fr);
        assert_eq!(p.subject, "Votre lien de connexion à Relais");
        assert_eq!(
            p.text,
            "Bonjour,\n\nVoici votre lien de connexion à l’espace équipe. Il est valable 30 minutes et ne sert qu’une fois.\n\n\
             https://relais.example/admin/auth?token=abc&x=<1>\n\n\
             Si vous n’êtes pas à l’origine de cette demande, ignorez ce message : rien ne se passera sans ce lien.\n\n-- \n\
             Message envoyé par Relais."
        );
        let html = p.html.unwrap();
        assert!(html.contains("<html lang=\"fr\">"));
        assert!(
            html.contains("href=\"https://relais.example/admin/auth?token=abc&#38;x=&#60;1&#62;\""),
            "{html}"
        );
    }

    #[test]
    fn login_email_in_english() {
        let p = login_email(Locale::En);
        assert_eq!(p.subject, "Your Relais sign-in link");
        assert!(
            p.text.starts_with(
                "Hello,\n\nHere is your link to the staff area. It is valid for 30 minutes and works once."
            )
        );
        assert!(p.html.unwrap().contains(">Sign me in</a>"));
    }
}
