//! The optional shared secret (`ODTO_WEB_TOKEN`). A program sends it as `Authorization: Bearer
//! …` on the WebSocket upgrade; a page sends it once to `POST /auth` and gets an HttpOnly,
//! SameSite=Strict cookie instead, so the secret never sits in the page or a URL. Secrets are
//! compared in constant time and never logged.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, COOKIE};

use crate::protocol::ErrorCode;
use crate::session::{new_token, same_secret};

/// The cookie a page gets from `POST /auth`.
pub const COOKIE_NAME: &str = "odto_web";
/// How long such a cookie works.
pub const COOKIE_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);
/// Most cookies remembered; the oldest go first.
const MAX_COOKIES: usize = 10_000;

/// A secret whose `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(Self(text.to_owned()))
    }
}

/// Who may open a session.
pub struct Auth {
    token: Option<Secret>,
    /// Cookies handed out, with when.
    cookies: Mutex<HashMap<String, Instant>>,
}

impl fmt::Debug for Auth {
    // The cookies are secrets too.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth")
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

impl Auth {
    /// Everyone when `token` is `None` (or empty), else whoever shows it.
    pub fn new(token: Option<Secret>) -> Self {
        Self {
            token: token.filter(|t| !t.0.is_empty()),
            cookies: Mutex::default(),
        }
    }

    /// Whether the request may open a session: a bearer token, or a cookie from `POST /auth`.
    pub fn check(&self, headers: &HeaderMap) -> Result<(), ErrorCode> {
        let Some(token) = &self.token else {
            return Ok(());
        };
        if let Some(bearer) = bearer(headers) {
            return same_secret(&token.0, bearer)
                .then_some(())
                .ok_or(ErrorCode::AuthFailed);
        }
        let Some(cookie) = cookie(headers, COOKIE_NAME) else {
            return Err(ErrorCode::AuthRequired);
        };
        let cookies = self.cookies.lock().unwrap_or_else(|e| e.into_inner());
        match cookies.get(cookie) {
            Some(issued) if issued.elapsed() < COOKIE_LIFETIME => Ok(()),
            _ => Err(ErrorCode::AuthFailed),
        }
    }

    /// The value of a new session cookie if `given` is the token (`None` if it is not);
    /// `Some(None)` when no token is configured and no cookie is needed.
    pub fn login(&self, given: &str) -> Option<Option<String>> {
        let Some(token) = &self.token else {
            return Some(None);
        };
        if !same_secret(&token.0, given) {
            return None;
        }
        let value = new_token();
        let mut cookies = self.cookies.lock().unwrap_or_else(|e| e.into_inner());
        cookies.retain(|_, issued| issued.elapsed() < COOKIE_LIFETIME);
        if cookies.len() >= MAX_COOKIES
            && let Some(oldest) = cookies
                .iter()
                .min_by_key(|(_, at)| **at)
                .map(|(k, _)| k.clone())
        {
            cookies.remove(&oldest);
        }
        cookies.insert(value.clone(), Instant::now());
        Some(Some(value))
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find_map(|(key, value)| (key == name).then_some(value))
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn with(name: axum::http::HeaderName, value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(name, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn without_a_token_everyone_may() {
        let auth = Auth::new(None);

        assert_eq!(auth.check(&HeaderMap::new()), Ok(()));
        assert_eq!(auth.login("anything"), Some(None));
    }

    #[test]
    fn a_bearer_token_must_be_the_token() {
        let auth = Auth::new(Some(Secret("s3cret".into())));

        assert_eq!(auth.check(&HeaderMap::new()), Err(ErrorCode::AuthRequired));
        assert_eq!(
            auth.check(&with(AUTHORIZATION, "Bearer wrong")),
            Err(ErrorCode::AuthFailed)
        );
        assert_eq!(auth.check(&with(AUTHORIZATION, "Bearer s3cret")), Ok(()));
    }

    #[test]
    fn a_login_gives_a_cookie_that_works_and_a_made_up_one_does_not() {
        let auth = Auth::new(Some(Secret("s3cret".into())));

        assert_eq!(auth.login("wrong"), None);
        let cookie = auth.login("s3cret").unwrap().unwrap();

        let headers = with(COOKIE, &format!("theme=dark; {COOKIE_NAME}={cookie}"));
        assert_eq!(auth.check(&headers), Ok(()));
        let made_up = with(COOKIE, &format!("{COOKIE_NAME}=0123"));
        assert_eq!(auth.check(&made_up), Err(ErrorCode::AuthFailed));
    }

    #[test]
    fn the_token_never_shows_in_debug_output() {
        let auth = Auth::new(Some(Secret("s3cret".into())));

        assert!(!format!("{auth:?}").contains("s3cret"));
    }
}
