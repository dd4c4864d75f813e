//! Errors as the API gives them: a status, a stable code and a human message,
//! always as `{"error":{"code":"...","message":"..."}}`.

use hyper::StatusCode;
use nudge_scheduler::Error as SchedulerError;
use nudge_store::Error as StoreError;

/// An error response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// A stable, machine-readable code (`not_found`, `bad_json`, ...).
    pub code: &'static str,
    /// What was wrong and, where it helps, how to fix it.
    pub message: String,
    /// Seconds to wait before retrying (429), sent as `Retry-After`.
    pub retry_after: Option<u64>,
}

/// Result of a route handler.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// An error with `status`, `code` and `message`.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), retry_after: None }
    }

    /// 400: the request could not be read.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 404 for a resource the caller cannot see (missing or another tenant's).
    pub fn not_found(what: impl std::fmt::Display) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", format!("{what} does not exist"))
    }

    /// 422: well-formed but invalid.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message)
    }

    /// 500: a host bug or storage failure; the details go to the log only.
    pub fn internal(err: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %err, "request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server failed; the operator can find the cause in its log",
        )
    }

    /// The response body.
    pub fn body(&self) -> String {
        serde_json::json!({ "error": { "code": self.code, "message": self.message } }).to_string()
    }
}

impl From<SchedulerError> for ApiError {
    fn from(err: SchedulerError) -> Self {
        match &err {
            SchedulerError::Plugin(e) => Self::new(StatusCode::UNPROCESSABLE_ENTITY, "plugin_rejected", e.to_string()),
            SchedulerError::Domain(e) => Self::invalid(e.to_string()),
            SchedulerError::UnknownTenant(t) => Self::not_found(format!("tenant {t}")),
            SchedulerError::UnknownCustomer { .. } => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "unknown_customer", err.to_string())
            }
            SchedulerError::UnknownInvoice(_) => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "unknown_invoice", err.to_string())
            }
            SchedulerError::NoSuchCustomer(c) => Self::not_found(format!("customer {c}")),
            SchedulerError::Rollback(_) => Self::new(StatusCode::CONFLICT, "nothing_to_roll_back", err.to_string()),
            SchedulerError::Stripe(e) => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "stripe_unmappable", e.to_string())
            }
            SchedulerError::NoSuchNotice(n) => Self::not_found(format!("notice {n}")),
            SchedulerError::NotCancellable { .. } => {
                Self::new(StatusCode::CONFLICT, "notice_not_cancellable", err.to_string())
            }
            SchedulerError::NoticeNotSent { .. } => Self::new(StatusCode::CONFLICT, "notice_not_sent", err.to_string()),
            SchedulerError::InvoiceNotOpen { .. } => {
                Self::new(StatusCode::CONFLICT, "invoice_not_open", err.to_string())
            }
            SchedulerError::StepTaken { .. } => Self::new(StatusCode::CONFLICT, "step_taken", err.to_string()),
            SchedulerError::NoticeLimit(_) => Self::new(StatusCode::CONFLICT, "notice_limit", err.to_string()),
            SchedulerError::Invalid(message) => Self::invalid(message.clone()),
            SchedulerError::Store(e) => e.into(),
            SchedulerError::TemplateInvalid(_) => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "template_invalid", err.to_string())
            }
            SchedulerError::TemplateRequest(_) => Self::invalid(err.to_string()),
            SchedulerError::NoSuchTemplate(t) => Self::not_found(format!("template {t}")),
            SchedulerError::Delivery(nudge_delivery::Error::Render { .. }) => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "template_failed", err.to_string())
            }
            _ => Self::internal(&err),
        }
    }
}

impl From<&StoreError> for ApiError {
    fn from(err: &StoreError) -> Self {
        match err {
            StoreError::NotFound { kind, id } => Self::not_found(format!("{kind} {id}")),
            StoreError::Conflict(message) => Self::new(StatusCode::CONFLICT, "conflict", message.clone()),
            _ => Self::internal(err),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        (&err).into()
    }
}
