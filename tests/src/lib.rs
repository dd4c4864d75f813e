//! Integration tests of nudge live in `all/`; hostile test plugins in `guests/`.
