//! The route table: every method and path the server answers, who may call
//! it, and what it takes and gives. The router ([`find`]) matches requests
//! against [`ROUTES`] and nothing else, the metrics label of a request is its
//! row's path pattern, and `GET /openapi.json` is generated from the same
//! rows ([`crate::openapi`]), so the document cannot drift from the code.
//!
//! # Adding a route
//!
//! 1. Add a row to [`ROUTES`]: method, path pattern (each `{name}` stands for
//!    one path segment), [`Access`], a unique operation id and a one-line
//!    summary; then, as they apply, `.json_in("Schema")` / `.body_in(type)`
//!    for the request body, `.json_out("Schema")` for the response,
//!    `.optional_body_in(type)`, `.paged()` for cursor-paginated lists,
//!    `.query(&[(name, description)])` for other query parameters. Schemas
//!    live in [`crate::openapi`].
//! 2. Serve it in the handler of its access kind: `ops::handle` (Public),
//!    `admin::handle` (Operator), `tenant::handle` and the modules it calls
//!    (Tenant), `stripe::handle_webhook` (Webhook). Handlers see the path's
//!    segments after `/v1` (`/v1/admin` for operator routes).
//! 3. For a tenant route, add a rule to the cross-tenant walk in
//!    `tests/api/isolation.rs` (the test fails until you do).
//!
//! A handler arm without a row is unreachable (the router answers 404
//! `no_route` or 405 `method_not_allowed` first), and a row without a
//! handler arm is caught by `tests/api/openapi.rs`, which calls every
//! operation of the document against a live server.

use hyper::Method;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: probes and the API document.
    Public,
    /// The operator, with the operator token.
    Operator,
    /// A tenant, with one of its API keys; scoped to that tenant.
    Tenant,
    /// Stripe's deliveries, authenticated by their signature.
    Webhook,
    /// Tracking links customers follow, authenticated by their signed token.
    Tracking,
}

impl Access {
    /// How many leading path segments select the handler and are not
    /// passed to it (`/v1/admin` for operator routes, `/v1` for tenants).
    pub fn prefix_len(self) -> usize {
        match self {
            Access::Public | Access::Tracking => 0,
            Access::Operator => 2,
            Access::Tenant | Access::Webhook => 1,
        }
    }
}

/// A request body a route takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// No body.
    None,
    /// JSON of the named schema (`components.schemas`).
    Json(&'static str),
    /// Raw bytes of a media type (`application/wasm`, `text/csv`).
    Raw {
        /// The media type.
        media_type: &'static str,
        /// False when the body may be left out.
        required: bool,
    },
}

/// One row of the route table.
#[derive(Debug, Clone)]
pub struct Route {
    /// The method.
    pub method: Method,
    /// The path pattern, `{name}` for a path parameter.
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
    /// The OpenAPI operation id: unique, lowerCamelCase.
    pub operation: &'static str,
    /// One line saying what it does.
    pub summary: &'static str,
    /// The request body.
    pub body: Body,
    /// The schema of a successful JSON response, if one is named.
    pub response: Option<&'static str>,
    /// A cursor-paginated list (`?cursor=&limit=`).
    pub paged: bool,
    /// Other query parameters: name and description.
    pub query: &'static [(&'static str, &'static str)],
}

impl Route {
    const fn new(
        method: Method,
        path: &'static str,
        access: Access,
        operation: &'static str,
        summary: &'static str,
    ) -> Self {
        Self { method, path, access, operation, summary, body: Body::None, response: None, paged: false, query: &[] }
    }

    const fn json_in(mut self, schema: &'static str) -> Self {
        self.body = Body::Json(schema);
        self
    }

    const fn body_in(mut self, media_type: &'static str) -> Self {
        self.body = Body::Raw { media_type, required: true };
        self
    }

    const fn optional_body_in(mut self, media_type: &'static str) -> Self {
        self.body = Body::Raw { media_type, required: false };
        self
    }

    const fn query(mut self, query: &'static [(&'static str, &'static str)]) -> Self {
        self.query = query;
        self
    }

    const fn json_out(mut self, schema: &'static str) -> Self {
        self.response = Some(schema);
        self
    }

    const fn paged(mut self) -> Self {
        self.paged = true;
        self
    }

    /// The pattern's segments, without the leading `/`.
    pub fn segments(&self) -> impl Iterator<Item = &'static str> {
        self.path.trim_start_matches('/').split('/')
    }

    /// The names of the path parameters, in order.
    pub fn params(&self) -> impl Iterator<Item = &'static str> {
        self.segments().filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
    }

    /// True when `path` (segments, %-decoded) fits the pattern.
    pub fn matches(&self, path: &[&str]) -> bool {
        let mut pattern = self.segments();
        for segment in path {
            match pattern.next() {
                Some(p) if p.starts_with('{') => {
                    if segment.is_empty() {
                        return false;
                    }
                }
                Some(p) if p == *segment => {}
                _ => return false,
            }
        }
        pattern.next().is_none()
    }

    /// How many literal segments the pattern has: the more specific row wins.
    fn literals(&self) -> usize {
        self.segments().filter(|s| !s.starts_with('{')).count()
    }
}

use Access::{Operator, Public, Tenant, Tracking, Webhook};

/// Every route the server answers.
pub static ROUTES: &[Route] = &[
    // Probes and the API document.
    Route::new(Method::GET, "/healthz", Public, "health", "Liveness: the process answers."),
    Route::new(Method::GET, "/readyz", Public, "ready", "Readiness: the store reads and the scheduler runs."),
    Route::new(Method::GET, "/metrics", Public, "metrics", "Prometheus metrics (text format)."),
    Route::new(Method::GET, "/openapi.json", Public, "openapi", "This API as an OpenAPI 3 document."),
    Route::new(
        Method::GET,
        "/dashboard",
        Public,
        "dashboard",
        "The dashboard page: asks for a tenant key, then shows that tenant's report.",
    ),
    // Tracking links in messages: the signed token is the credential.
    Route::new(
        Method::GET,
        "/t/{token}",
        Tracking,
        "followTrackingLink",
        "Open pixel, click-through, unsubscribe page or feedback answer.",
    ),
    Route::new(
        Method::HEAD,
        "/t/{token}",
        Tracking,
        "headTrackingLink",
        "A tracking link's headers, recording nothing.",
    ),
    Route::new(Method::POST, "/t/{token}", Tracking, "unsubscribeOneClick", "One-click unsubscribe (RFC 8058).")
        .optional_body_in("application/x-www-form-urlencoded"),
    // Operator: tenants and their API keys.
    Route::new(Method::POST, "/v1/admin/tenants", Operator, "createTenant", "Create a tenant and its first API key.")
        .json_in("NewTenant")
        .json_out("CreatedTenant"),
    Route::new(Method::GET, "/v1/admin/tenants", Operator, "listTenants", "List tenants.").paged(),
    Route::new(Method::GET, "/v1/admin/tenants/{id}", Operator, "getTenant", "One tenant.").json_out("Tenant"),
    Route::new(Method::GET, "/v1/admin/tenants/{id}/keys", Operator, "listApiKeys", "A tenant's API keys."),
    Route::new(
        Method::POST,
        "/v1/admin/tenants/{id}/keys",
        Operator,
        "createApiKey",
        "Create another API key (rotation); shown once.",
    ),
    Route::new(Method::DELETE, "/v1/admin/tenants/{id}/keys/{key}", Operator, "revokeApiKey", "Revoke an API key."),
    // Tenant: customers and privacy.
    Route::new(Method::GET, "/v1/customers", Tenant, "listCustomers", "List customers.").paged(),
    Route::new(Method::PUT, "/v1/customers/{id}", Tenant, "putCustomer", "Create or update a customer.")
        .json_in("CustomerInput")
        .json_out("Customer"),
    Route::new(Method::GET, "/v1/customers/{id}", Tenant, "getCustomer", "One customer.").json_out("Customer"),
    Route::new(
        Method::DELETE,
        "/v1/customers/{id}",
        Tenant,
        "eraseCustomer",
        "Erase a customer: data and contact details in notices and logs.",
    ),
    Route::new(
        Method::POST,
        "/v1/customers/{id}/opt-out",
        Tenant,
        "optOutCustomer",
        "Opt a customer out of one channel, or of all.",
    )
    .json_in("OptOut"),
    Route::new(Method::GET, "/v1/customers/{id}/export", Tenant, "exportCustomer", "Everything held about a customer."),
    // Tenant: invoices and payments.
    Route::new(Method::GET, "/v1/invoices", Tenant, "listInvoices", "List invoices.").paged(),
    Route::new(
        Method::PUT,
        "/v1/invoices/{id}",
        Tenant,
        "putInvoice",
        "Create or update an open invoice; the policy then decides.",
    )
    .json_in("InvoiceInput")
    .json_out("Invoice"),
    Route::new(Method::GET, "/v1/invoices/{id}", Tenant, "getInvoice", "One invoice.").json_out("Invoice"),
    Route::new(Method::GET, "/v1/payments", Tenant, "listPayments", "List payments.").paged(),
    Route::new(Method::POST, "/v1/payments", Tenant, "recordPayment", "Record a payment (idempotent by its id).")
        .json_in("PaymentInput"),
    Route::new(
        Method::POST,
        "/v1/imports",
        Tenant,
        "importCsv",
        "Import an accounts-receivable CSV: all rows in one transaction, or none.",
    )
    .body_in("text/csv")
    .json_out("ImportReport"),
    // Tenant: notices, incidents, report.
    Route::new(Method::GET, "/v1/notices", Tenant, "listNotices", "List notices.").paged(),
    Route::new(Method::GET, "/v1/notices/{id}", Tenant, "getNotice", "One notice."),
    Route::new(
        Method::POST,
        "/v1/notices/{id}/cancel",
        Tenant,
        "cancelNotice",
        "Cancel a scheduled notice; the policy is asked for the next step.",
    ),
    Route::new(
        Method::POST,
        "/v1/invoices/{id}/send",
        Tenant,
        "sendInvoiceNotice",
        "Send a notice now through the normal send path (caps, quiet hours, opt-outs).",
    )
    .json_in("ManualSend"),
    Route::new(Method::GET, "/v1/events", Tenant, "listEvents", "List engagement events.").paged(),
    Route::new(
        Method::POST,
        "/v1/events",
        Tenant,
        "recordEvent",
        "Report delivery, an open, a click, a bounce, a complaint, feedback or an opt-out.",
    )
    .json_in("EngagementInput"),
    Route::new(Method::GET, "/v1/incidents", Tenant, "listIncidents", "List plugin incidents.").paged(),
    Route::new(Method::GET, "/v1/report", Tenant, "getReport", "KPIs, slices and experiments.")
        .query(&[("format", "json (default), csv, html or text: the same numbers in each.")]),
    // Tenant: templates.
    Route::new(Method::GET, "/v1/templates", Tenant, "listTemplates", "List templates and the fallback locale.")
        .paged(),
    Route::new(
        Method::PUT,
        "/v1/templates/{name}/{channel}/{locale}",
        Tenant,
        "putTemplate",
        "Validate and store a template.",
    )
    .json_in("TemplateInput"),
    Route::new(
        Method::GET,
        "/v1/templates/{name}/{channel}/{locale}",
        Tenant,
        "getTemplate",
        "One template with its sources.",
    ),
    Route::new(
        Method::DELETE,
        "/v1/templates/{name}/{channel}/{locale}",
        Tenant,
        "deleteTemplate",
        "Delete a template.",
    ),
    Route::new(
        Method::PUT,
        "/v1/templates/fallback-locale",
        Tenant,
        "putFallbackLocale",
        "The locale used when no template matches the customer's.",
    )
    .json_in("FallbackLocale"),
    Route::new(
        Method::POST,
        "/v1/templates/preview",
        Tenant,
        "previewTemplate",
        "Render a stored or draft template against a sample or stored invoice.",
    )
    .json_in("TemplatePreview"),
    // Tenant: plugins.
    Route::new(Method::GET, "/v1/plugins", Tenant, "listPlugins", "Every plugin version and which is active."),
    Route::new(
        Method::POST,
        "/v1/plugins",
        Tenant,
        "uploadPlugin",
        "Upload a policy component: validated, dry-run, stored as the next version.",
    )
    .body_in("application/wasm"),
    Route::new(Method::POST, "/v1/plugins/rollback", Tenant, "rollbackPlugin", "Activate the previous version again."),
    Route::new(Method::GET, "/v1/plugins/{version}", Tenant, "getPlugin", "One version and its dry-run report."),
    Route::new(Method::POST, "/v1/plugins/{version}/activate", Tenant, "activatePlugin", "Activate a version."),
    Route::new(
        Method::POST,
        "/v1/plugins/{version}/simulate",
        Tenant,
        "simulatePlugin",
        "Replay the tenant's history (or a CSV body) through a version: KPIs per step and segment.",
    )
    .optional_body_in("text/csv")
    .query(&[("against", "Another version to compare with: what would change for customers.")]),
    // Stripe.
    Route::new(
        Method::PUT,
        "/v1/stripe/webhook-secrets",
        Tenant,
        "putWebhookSecrets",
        "Set the Stripe endpoint secrets to accept (two while rotating).",
    )
    .json_in("WebhookSecrets"),
    Route::new(
        Method::POST,
        "/v1/stripe/webhooks/{tenant}",
        Webhook,
        "stripeWebhook",
        "Stripe's event deliveries, authenticated by Stripe-Signature.",
    )
    .body_in("application/json"),
];

/// The row serving `method` on `path`: `Ok(row)`, or `Err(true)` when some
/// row has the path with another method (405), `Err(false)` when none (404).
pub fn find(method: &Method, path: &[&str]) -> Result<&'static Route, bool> {
    let mut path_known = false;
    let mut best: Option<&'static Route> = None;
    for route in ROUTES.iter().filter(|r| r.matches(path)) {
        path_known = true;
        if route.method == method && best.is_none_or(|b| route.literals() > b.literals()) {
            best = Some(route);
        }
    }
    best.ok_or(path_known)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_segments_beat_parameters_and_methods_are_told_apart() {
        let rollback = find(&Method::POST, &["v1", "plugins", "rollback"]).unwrap();
        assert_eq!(rollback.operation, "rollbackPlugin");
        assert_eq!(find(&Method::GET, &["v1", "plugins", "7"]).unwrap().operation, "getPlugin");
        assert!(find(&Method::PATCH, &["v1", "customers", "c"]).unwrap_err());
        assert!(!find(&Method::GET, &["v1", "nowhere"]).unwrap_err());
        assert!(!find(&Method::GET, &["v1", "customers", ""]).unwrap_err());
        assert!(!find(&Method::GET, &["v1", "customers", "c", "x", "y"]).unwrap_err());
    }

    #[test]
    fn rows_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for route in ROUTES {
            assert!(seen.insert(route.operation), "operation id {} twice", route.operation);
            assert!(route.path.starts_with('/'), "{}", route.path);
            assert!(!route.summary.is_empty() && !route.summary.contains('\n'), "{}", route.operation);
            let prefix: Vec<_> = route.segments().take(route.access.prefix_len()).collect();
            let expected: &[&str] = match route.access {
                Access::Public | Access::Tracking => &[],
                Access::Operator => &["v1", "admin"],
                Access::Tenant | Access::Webhook => &["v1"],
            };
            assert_eq!(prefix, expected, "{}", route.path);
        }
        let mut pairs = std::collections::HashSet::new();
        for route in ROUTES {
            assert!(pairs.insert((route.method.clone(), route.path)), "{} {} twice", route.method, route.path);
        }
    }
}
