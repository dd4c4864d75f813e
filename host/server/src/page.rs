//! Cursor pagination: `?limit=N&cursor=C`, and `next_cursor` in each page.

use serde::Serialize;
use serde_json::{Value, json};

use crate::{
    error::{ApiError, ApiResult},
    reply::percent_decode,
};

/// Items per page unless `limit` says otherwise.
pub const DEFAULT_LIMIT: usize = 50;
/// The largest `limit` accepted.
pub const MAX_LIMIT: usize = 500;

/// A list request's page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageQuery {
    /// Items to return at most.
    pub limit: usize,
    /// Return items after this one (the `next_cursor` of the previous page).
    pub cursor: Option<String>,
}

fn bad_query(message: String) -> ApiError {
    ApiError::bad_request("bad_query", message)
}

/// Reads `limit` and `cursor` from a query string; anything else is refused.
pub fn parse_query(query: Option<&str>) -> ApiResult<PageQuery> {
    let mut page = PageQuery { limit: DEFAULT_LIMIT, cursor: None };
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_decode(value, true)
            .ok_or_else(|| bad_query(format!("query parameter {name:?} has a malformed %-escape")))?;
        match name {
            "limit" => {
                page.limit =
                    value.parse().ok().filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or_else(|| {
                        bad_query(format!("limit must be a number from 1 to {MAX_LIMIT}, got {value:?}"))
                    })?;
            }
            "cursor" => page.cursor = Some(value),
            other => return Err(bad_query(format!("unknown query parameter {other:?}; lists take limit and cursor"))),
        }
    }
    Ok(page)
}

/// One page of `items`, ordered by `key`: the items after the cursor, at
/// most `limit` of them, and the cursor of the next page if there is one.
pub fn page<T: Serialize>(mut items: Vec<T>, key: impl Fn(&T) -> String, query: &PageQuery) -> ApiResult<Value> {
    items.sort_by_key(|item| key(item));
    let start = match &query.cursor {
        Some(cursor) => items.partition_point(|item| key(item).as_str() <= cursor.as_str()),
        None => 0,
    };
    let end = (start + query.limit).min(items.len());
    let next_cursor = (end < items.len() && end > start).then(|| key(&items[end - 1]));
    let data = serde_json::to_value(&items[start..end]).map_err(|e| ApiError::internal(&e))?;
    Ok(json!({ "data": data, "next_cursor": next_cursor }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_walk_every_item_once() {
        let items: Vec<String> = ["c", "a", "e", "b", "d"].iter().map(|s| s.to_string()).collect();
        let mut query = parse_query(Some("limit=2")).unwrap();
        let mut seen = Vec::new();
        loop {
            let page = page(items.clone(), |s| s.clone(), &query).unwrap();
            seen.extend(page["data"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()));
            match page["next_cursor"].as_str() {
                Some(next) => query.cursor = Some(next.to_string()),
                None => break,
            }
        }
        assert_eq!(seen, ["a", "b", "c", "d", "e"]);
    }

    #[test]
    fn bad_queries_say_what_is_wrong() {
        assert!(parse_query(Some("limit=0")).unwrap_err().message.contains("limit must be"));
        assert!(parse_query(Some("limit=abc")).unwrap_err().message.contains("\"abc\""));
        assert!(parse_query(Some("sort=id")).unwrap_err().message.contains("\"sort\""));
        assert_eq!(parse_query(Some("cursor=a%2Fb")).unwrap().cursor.as_deref(), Some("a/b"));
    }
}
