//! `GET /openapi.json`: the API as an OpenAPI 3.0 document, generated from
//! the route table ([`crate::routes::ROUTES`]) and the schemas below.

use serde_json::{Map, Value, json};

use crate::routes::{Access, Body, ROUTES, Route};

/// The OpenAPI version the document follows.
pub const OPENAPI_VERSION: &str = "3.0.3";

/// The document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for route in ROUTES {
        let item = paths.entry(route.path).or_insert_with(|| json!({}));
        item[route.method.as_str().to_ascii_lowercase()] = operation(route);
    }
    json!({
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "nudge",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Overdue-payment reminders decided by each tenant's WebAssembly policy. \
                Errors are always {\"error\":{\"code\",\"message\"}}; POSTs take an Idempotency-Key header.",
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "operatorToken": {
                    "type": "http", "scheme": "bearer",
                    "description": "The operator token ([server] operator_token or NUDGE_OPERATOR_TOKEN).",
                },
                "tenantKey": {
                    "type": "http", "scheme": "bearer",
                    "description": "A tenant API key (nudge_...), shown once when created.",
                },
            },
            "schemas": schemas(),
        },
    })
}

fn tag(route: &Route) -> &'static str {
    match route.access {
        Access::Public => "operations",
        Access::Operator => "admin",
        Access::Webhook => "stripe",
        Access::Tracking => "tracking",
        Access::Tenant => route.path.trim_start_matches("/v1/").split('/').next().unwrap_or("tenant"),
    }
}

fn operation(route: &Route) -> Value {
    let mut parameters: Vec<Value> = route
        .params()
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
        .collect();
    if route.paged {
        parameters.push(json!({
            "name": "cursor", "in": "query", "required": false, "schema": { "type": "string" },
            "description": "next_cursor of the previous page",
        }));
        parameters.push(json!({
            "name": "limit", "in": "query", "required": false,
            "schema": { "type": "integer", "minimum": 1, "maximum": 500 },
        }));
    }
    for (name, description) in route.query {
        parameters.push(json!({
            "name": name, "in": "query", "required": false, "schema": { "type": "string" },
            "description": description,
        }));
    }
    let ok = match (route.response, route.paged) {
        (Some(schema), _) => json!({ "$ref": format!("#/components/schemas/{schema}") }),
        (None, true) => json!({ "$ref": "#/components/schemas/Page" }),
        (None, false) => json!({ "type": "object" }),
    };
    let ok_content = if route.path == "/metrics" {
        json!({ "text/plain": { "schema": { "type": "string" } } })
    } else {
        json!({ "application/json": { "schema": ok } })
    };
    let mut op = json!({
        "operationId": route.operation,
        "summary": route.summary,
        "tags": [tag(route)],
        "parameters": parameters,
        "responses": {
            "200": { "description": "Done.", "content": ok_content },
            "default": {
                "description": "An error: a stable code and a human message.",
                "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } },
            },
        },
    });
    match route.access {
        Access::Operator => op["security"] = json!([{ "operatorToken": [] }]),
        Access::Tenant => op["security"] = json!([{ "tenantKey": [] }]),
        Access::Public | Access::Webhook | Access::Tracking => op["security"] = json!([]),
    }
    match route.body {
        Body::None => {}
        Body::Json(schema) => {
            op["requestBody"] = json!({
                "required": true,
                "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } },
            });
        }
        Body::Raw { media_type, required } => {
            op["requestBody"] = json!({
                "required": required,
                "content": { media_type: { "schema": { "type": "string", "format": "binary" } } },
            });
        }
    }
    op
}

fn strings(names: &[&str]) -> Value {
    names.iter().map(|n| (n.to_string(), json!({ "type": "string" }))).collect::<Map<_, _>>().into()
}

fn schemas() -> Value {
    let channel = json!({ "type": "string", "enum": ["email", "sms", "push", "webhook"] });
    json!({
        "Error": {
            "type": "object", "required": ["error"],
            "properties": { "error": {
                "type": "object", "required": ["code", "message"],
                "properties": strings(&["code", "message"]),
            } },
        },
        "Page": {
            "type": "object", "required": ["data"],
            "properties": {
                "data": { "type": "array", "items": { "type": "object" } },
                "next_cursor": { "type": "string", "nullable": true },
            },
        },
        "NewTenant": {
            "type": "object", "required": ["id", "name"], "additionalProperties": false,
            "properties": strings(&["id", "name", "currency", "default_time_zone"]),
        },
        "Tenant": { "type": "object", "properties": { "id": { "type": "string" }, "name": { "type": "string" } } },
        "CreatedTenant": {
            "type": "object",
            "properties": {
                "tenant": { "$ref": "#/components/schemas/Tenant" },
                "api_key": { "type": "object", "properties": strings(&["id", "key", "created_at"]) },
            },
        },
        "CustomerInput": {
            "type": "object", "required": ["time_zone"], "additionalProperties": false,
            "properties": {
                "id": { "type": "string" }, "time_zone": { "type": "string" }, "name": { "type": "string" },
                "email": { "type": "string" }, "phone": { "type": "string" }, "language": { "type": "string" },
                "tier": { "type": "string" }, "preferred_channel": channel,
                "opted_out": { "type": "array", "items": channel },
                "tags": { "type": "array", "items": { "type": "string" } },
            },
        },
        "Customer": { "type": "object", "properties": strings(&["tenant", "id", "name", "time_zone"]) },
        "InvoiceInput": {
            "type": "object", "required": ["customer", "amount_minor", "currency", "issued_on", "due_on"],
            "additionalProperties": false,
            "properties": {
                "id": { "type": "string" }, "customer": { "type": "string" },
                "amount_minor": { "type": "integer", "minimum": 1 }, "currency": { "type": "string" },
                "issued_on": { "type": "string", "format": "date" }, "due_on": { "type": "string", "format": "date" },
                "number": { "type": "string" }, "disputed": { "type": "boolean" },
                "payment_link": { "type": "string" }, "tags": { "type": "array", "items": { "type": "string" } },
            },
        },
        "Invoice": { "type": "object", "properties": strings(&["tenant", "id", "customer", "status"]) },
        "PaymentInput": {
            "type": "object", "required": ["id", "invoice", "amount_minor"], "additionalProperties": false,
            "properties": {
                "id": { "type": "string" }, "invoice": { "type": "string" },
                "amount_minor": { "type": "integer", "minimum": 1 },
                "received_at": { "type": "string", "format": "date-time" },
            },
        },
        "OptOut": {
            "type": "object", "additionalProperties": false,
            "properties": { "channel": channel },
        },
        "ManualSend": {
            "type": "object", "additionalProperties": false,
            "properties": {
                "channel": channel,
                "tone": { "type": "string", "enum": ["gentle", "friendly", "firm", "urgent"] },
                "step": { "type": "string" },
            },
        },
        "EngagementInput": {
            "type": "object", "required": ["notice", "kind"], "additionalProperties": false,
            "properties": {
                "notice": { "type": "string" },
                "kind": { "type": "string", "enum": ["delivered", "opened", "clicked", "bounced", "complained", "feedback", "opt-out"] },
                "channel": channel,
                "detail": { "type": "string" },
                "at": { "type": "string", "format": "date-time" },
                "fair": { "type": "boolean" },
                "negative": { "type": "boolean" },
            },
        },
        "TemplateInput": {
            "type": "object", "required": ["body"], "additionalProperties": false,
            "properties": {
                "subject": { "type": "string" },
                "body": { "type": "string" },
                "html": { "type": "string" },
                "fields": { "type": "array", "items": { "type": "string" } },
            },
        },
        "FallbackLocale": {
            "type": "object", "required": ["fallback_locale"], "additionalProperties": false,
            "properties": { "fallback_locale": { "type": "string" } },
        },
        "TemplatePreview": {
            "type": "object", "required": ["channel"],
            "properties": {
                "name": { "type": "string" },
                "channel": channel,
                "locale": { "type": "string" },
                "source": { "$ref": "#/components/schemas/TemplateInput" },
                "invoice": { "type": "string" },
                "tone": { "type": "string" },
                "step": { "type": "string" },
            },
        },
        "WebhookSecrets": {
            "type": "object", "required": ["secrets"], "additionalProperties": false,
            "properties": {
                "secrets": { "type": "array", "minItems": 1, "maxItems": 2, "items": { "type": "string" } },
            },
        },
        "ImportReport": {
            "type": "object",
            "properties": {
                "customers": { "type": "integer" }, "invoices": { "type": "integer" },
                "payments": { "type": "integer" },
            },
        },
    })
}
