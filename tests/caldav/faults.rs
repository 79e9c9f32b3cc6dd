//! What real servers will not do on demand, from wiremock.
