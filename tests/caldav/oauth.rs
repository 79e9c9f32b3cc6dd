//! Google OAuth2 against a wiremock token endpoint.
