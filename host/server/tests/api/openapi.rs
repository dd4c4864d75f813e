//! `GET /openapi.json` is a valid OpenAPI 3 document, and it is the router:
//! every operation it lists is served by a handler, and nothing it does not
//! list is routed.

use std::collections::{BTreeSet, HashSet};

use serde_json::{Value, json};

use crate::{Answer, OPERATOR, TestServer, call, call_with, send_json};

/// Every method a client might send, in the document's spelling.
const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

/// The fields an OpenAPI 3.0 path item may hold: the operations and these.
const PATH_ITEM_FIELDS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

fn document(server: &TestServer) -> Value {
    let answer = call(server, "GET", "/openapi.json", None, None);
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.json()
}

/// The `{name}`s of a path template.
fn template_params(path: &str) -> BTreeSet<String> {
    path.split('/').filter_map(|s| s.strip_prefix('{')?.strip_suffix('}')).map(str::to_string).collect()
}

/// True when `path` fits the template (each `{name}` one non-empty segment).
fn fits(template: &str, path: &str) -> bool {
    let (t, p): (Vec<_>, Vec<_>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len() && t.iter().zip(&p).all(|(t, p)| if t.starts_with('{') { !p.is_empty() } else { t == p })
}

/// Checks an OpenAPI 3.0 schema object or reference, as far as used here.
fn check_schema(at: &str, schema: &Value, schemas: &serde_json::Map<String, Value>) {
    let object = schema.as_object().unwrap_or_else(|| panic!("{at}: a schema is an object"));
    if let Some(reference) = object.get("$ref") {
        let name = reference.as_str().and_then(|r| r.strip_prefix("#/components/schemas/"));
        let name = name.unwrap_or_else(|| panic!("{at}: $ref {reference} is not a component schema"));
        assert!(schemas.contains_key(name), "{at}: schema {name} is missing");
        return;
    }
    if let Some(kind) = object.get("type") {
        let known = ["object", "array", "string", "integer", "number", "boolean"];
        assert!(known.contains(&kind.as_str().unwrap_or("")), "{at}: type {kind}");
    }
    for (name, property) in object.get("properties").and_then(Value::as_object).into_iter().flatten() {
        check_schema(&format!("{at}.{name}"), property, schemas);
    }
    if let Some(items) = object.get("items") {
        check_schema(&format!("{at}[]"), items, schemas);
    }
}

#[test]
fn the_document_is_openapi_3_with_unique_operations_and_declared_parameters() {
    let server = TestServer::start(TestServer::config());
    let doc = document(&server);
    // The fields OpenAPI 3.0 requires.
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{}", doc["openapi"]);
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string(), "{}", doc["info"]);
    let paths = doc["paths"].as_object().expect("paths");
    let schemas = doc["components"]["schemas"].as_object().expect("components.schemas");
    for (name, schema) in schemas {
        check_schema(name, schema, schemas);
    }
    let schemes = doc["components"]["securitySchemes"].as_object().expect("securitySchemes");
    for name in ["operatorToken", "tenantKey"] {
        assert_eq!(schemes[name]["type"], "http", "{name}");
        assert_eq!(schemes[name]["scheme"], "bearer", "{name}");
    }
    let mut ids = HashSet::new();
    let mut operations = 0;
    for (path, item) in paths {
        assert!(path.starts_with('/'), "{path}");
        let wanted = template_params(path);
        for (method, op) in item.as_object().unwrap() {
            assert!(PATH_ITEM_FIELDS.contains(&method.as_str()), "{path}: {method} is not an operation");
            operations += 1;
            let id = op["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            assert!(ids.insert(id.to_string()), "operationId {id} twice");
            assert!(op["summary"].as_str().is_some_and(|s| !s.is_empty()), "{id} has no summary");
            // Every {param} is a required path parameter, and nothing else is.
            let mut declared = BTreeSet::new();
            for parameter in op["parameters"].as_array().unwrap() {
                let name = parameter["name"].as_str().unwrap_or_else(|| panic!("{id}: unnamed parameter"));
                match parameter["in"].as_str() {
                    Some("path") => {
                        assert_eq!(parameter["required"], true, "{id}: path parameter {name} must be required");
                        declared.insert(name.to_string());
                    }
                    Some("query" | "header" | "cookie") => {}
                    other => panic!("{id}: parameter {name} is in {other:?}"),
                }
                check_schema(&format!("{id}({name})"), &parameter["schema"], schemas);
            }
            assert_eq!(declared, wanted, "{method} {path}: path parameters");
            // Responses: at least one, each with a description.
            let responses = op["responses"].as_object().unwrap_or_else(|| panic!("{id} has no responses"));
            assert!(!responses.is_empty(), "{id}");
            for (status, response) in responses {
                assert!(status == "default" || status.parse::<u16>().is_ok(), "{id}: response {status}");
                assert!(response["description"].is_string(), "{id} {status}");
                for (media, content) in response["content"].as_object().into_iter().flatten() {
                    check_schema(&format!("{id} {status} {media}"), &content["schema"], schemas);
                }
            }
            for (media, content) in op["requestBody"]["content"].as_object().into_iter().flatten() {
                check_schema(&format!("{id} body {media}"), &content["schema"], schemas);
            }
            // Admin routes need the operator token, tenant routes a key.
            let security: Vec<&String> =
                op["security"].as_array().unwrap().iter().flat_map(|r| r.as_object().unwrap().keys()).collect();
            for name in &security {
                assert!(schemes.contains_key(name.as_str()), "{id}: scheme {name} is not declared");
            }
            if path.starts_with("/v1/admin/") {
                assert_eq!(security, ["operatorToken"], "{id}");
            } else if path.starts_with("/v1/") && !path.starts_with("/v1/stripe/webhooks/") {
                assert_eq!(security, ["tenantKey"], "{id}");
            } else {
                assert!(security.is_empty(), "{id}: {security:?}");
            }
        }
    }
    assert!(operations >= 30, "only {operations} operations");
    for id in ["createTenant", "putCustomer", "importCsv", "simulatePlugin", "stripeWebhook", "openapi"] {
        assert!(ids.contains(id), "{id} is not in the document");
    }
}

/// A value for a path parameter: ids that exist nowhere, so nothing is touched.
fn sample(param: &str) -> &'static str {
    match param {
        "version" => "99",
        "tenant" => "walker",
        _ => "no-such-thing",
    }
}

fn assert_routed(answer: &Answer, what: &str) {
    assert_ne!(answer.status, 405, "{what}: no handler takes this method ({})", answer.text);
    // The router's 404 is always JSON; a handler may answer a page (a
    // tracking link that is not valid).
    if answer.status == 404
        && let Ok(body) = serde_json::from_str::<serde_json::Value>(&answer.text)
    {
        assert_ne!(body["error"]["code"], json!("no_route"), "{what}: listed in the document but no handler serves it");
    }
    assert!(answer.status < 500, "{what}: {} {}", answer.status, answer.text);
}

#[test]
fn every_operation_in_the_document_is_served_and_nothing_else_is_routed() {
    let server = TestServer::start(TestServer::config());
    let created = send_json(&server, "POST", "/v1/admin/tenants", OPERATOR, &json!({ "id": "walker", "name": "W" }));
    assert_eq!(created.status, 201, "{}", created.text);
    let key = created.json()["api_key"]["key"].as_str().unwrap().to_string();
    let doc = document(&server);
    let paths = doc["paths"].as_object().unwrap();
    let mut walked = 0;
    for (template, item) in paths {
        let mut path = template.clone();
        for param in template_params(template) {
            path = path.replace(&format!("{{{param}}}"), sample(&param));
        }
        let item = item.as_object().unwrap();
        for method in METHODS {
            let upper = method.to_uppercase();
            let what = format!("{upper} {template}");
            let Some(op) = item.get(method) else {
                // (c) a method the document does not list: the router's 405
                // (unless the path also fits a template that has it, as
                // GET /v1/plugins/rollback fits GET /v1/plugins/{version}).
                let elsewhere = paths.iter().any(|(t, i)| t != template && fits(t, &path) && i.get(method).is_some());
                if elsewhere {
                    continue;
                }
                let answer = call(&server, &upper, &path, Some(&key), Some(b"{}"));
                answer.assert_error(405, "method_not_allowed");
                continue;
            };
            // (b) a listed operation reaches its handler; auth and
            // validation errors are fine, the router's 404/405 are not.
            let token = match op["security"].as_array().and_then(|s| s.first()).map(|s| s.as_object().unwrap()) {
                Some(s) if s.contains_key("operatorToken") => Some(OPERATOR),
                Some(s) if s.contains_key("tenantKey") => Some(key.as_str()),
                _ => None,
            };
            let content = &op["requestBody"]["content"];
            let (body, media): (Option<&[u8]>, &str) = if content.get("application/json").is_some() {
                (Some(b"{}"), "application/json")
            } else if content.get("text/csv").is_some() {
                (Some(b"customer_id\n"), "text/csv")
            } else if let Some((media, _)) = content.as_object().and_then(|c| c.iter().next()) {
                (Some(b"not it"), media.as_str())
            } else {
                (None, "application/json")
            };
            let answer = call_with(&server, &upper, &path, token, body, &[("Content-Type", media)]);
            assert_routed(&answer, &what);
            walked += 1;
        }
    }
    assert!(walked >= 30, "{walked}");

    // (c) paths the document does not have: the router's 404, before any auth.
    let mut unknown = vec!["/v1/nowhere".to_string(), "/v2/customers".to_string(), "/".to_string()];
    unknown.extend(paths.keys().map(|t| format!("{}/extra", t.replace('{', "x").replace('}', ""))));
    for path in unknown.iter().filter(|p| !paths.keys().any(|t| fits(t, p))) {
        for method in METHODS {
            let answer = call(&server, &method.to_uppercase(), path, Some(&key), None);
            answer.assert_error(404, "no_route");
        }
    }
}
