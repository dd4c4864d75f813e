//! The nudge JSON history format: customers, invoices and payments.
//!
//! One JSON object with three arrays; unknown keys are refused so that a typo
//! is reported instead of ignored. Amounts are whole minor units (cents),
//! dates are `YYYY-MM-DD`, instants RFC 3339 with an offset.
//!
//! ```json
//! {
//!   "customers": [
//!     { "id": "c-1", "time_zone": "Europe/London", "email": "ada@example.invalid",
//!       "phone": "+447700900123", "name": "Ada", "language": "en", "tier": "gold",
//!       "preferred_channel": "email", "opted_out": ["sms"], "tags": ["vip"] }
//!   ],
//!   "invoices": [
//!     { "id": "inv-1", "customer": "c-1", "amount_minor": 12000, "currency": "GBP",
//!       "issued_on": "2024-01-05", "due_on": "2024-02-04", "number": "INV-0001",
//!       "issued_at": "2024-01-05T09:30:00Z", "disputed": false,
//!       "payment_link": "https://pay.example.invalid/inv-1", "tags": [] }
//!   ],
//!   "payments": [
//!     { "id": "pay-1", "invoice": "inv-1", "amount_minor": 12000,
//!       "received_at": "2024-02-10T14:00:00Z" }
//!   ]
//! }
//! ```
//!
//! Required: a customer's `id` and `time_zone` (IANA); an invoice's `id`,
//! `customer` (a listed customer), `amount_minor` (> 0), `currency`
//! (ISO 4217), `issued_on` and `due_on` (not before `issued_on`); a payment's
//! `id`, `invoice` (a listed invoice), `amount_minor` (> 0) and `received_at`
//! (not before its invoice was issued). Everything else is optional:
//! `name` defaults to `Customer <id>`, `language` to `en`, `tier` to
//! `standard`, `number` to the invoice id, `issued_at` to 09:00 in the
//! customer's time zone on `issued_on`, `disputed` to false; `payments` may be
//! left out. A customer needs an `email` or a `phone` (E.164, `+` and digits)
//! to be reachable at all.
//!
//! A value of the wrong type fails with its line and column; every record
//! that breaks a rule is listed with its line and field, and nothing is read.

use std::collections::{BTreeSet, HashMap};

use jiff::{Timestamp, civil::Date};
use nudge_core::{
    Channel, Customer, CustomerId, CustomerStats, Invoice, InvoiceId, InvoiceStatus, Money, Payment, PaymentId,
    TenantId, time,
};
use serde::Deserialize;

use crate::{FieldError, History, ImportError, IssuedInvoice, positions::Positions};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHistory {
    customers: Vec<RawCustomer>,
    invoices: Vec<RawInvoice>,
    #[serde(default)]
    payments: Vec<RawPayment>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCustomer {
    id: String,
    time_zone: String,
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    language: Option<String>,
    tier: Option<String>,
    preferred_channel: Option<Channel>,
    #[serde(default)]
    opted_out: Vec<Channel>,
    #[serde(default)]
    tags: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInvoice {
    id: String,
    customer: String,
    amount_minor: i64,
    currency: String,
    issued_on: String,
    due_on: String,
    number: Option<String>,
    issued_at: Option<String>,
    #[serde(default)]
    disputed: bool,
    payment_link: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPayment {
    id: String,
    invoice: String,
    amount_minor: i64,
    received_at: String,
}

/// Reads a history in the nudge JSON format for `tenant`.
pub fn read(text: &str, tenant: &TenantId) -> Result<History, ImportError> {
    let positions = Positions::scan(text, &["customers", "invoices", "payments"]);
    let raw: RawHistory = serde_json::from_str(text).map_err(|e| {
        let message = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        ImportError::Json {
            line: e.line() as u64,
            column: e.column() as u64,
            record: positions.record_at(e.line() as u64).map(|(array, index)| format!("{array}[{index}]")),
            message: message.strip_suffix(&suffix).unwrap_or(&message).to_string(),
        }
    })?;
    let mut check = Checker { positions: &positions, errors: Vec::new() };
    let history = check.history(raw, tenant);
    if !check.errors.is_empty() {
        return Err(ImportError::Records(check.errors));
    }
    if history.invoices.is_empty() {
        return Err(ImportError::Empty);
    }
    Ok(history)
}

/// Validates records, collecting every error with its line and field.
struct Checker<'a> {
    positions: &'a Positions,
    errors: Vec<FieldError>,
}

impl Checker<'_> {
    fn fail(&mut self, array: &str, index: usize, field: &str, message: String) {
        self.errors.push(FieldError {
            line: self.positions.line(array, index, field),
            field: format!("{array}[{index}].{field}"),
            message,
        });
    }

    fn check<T, E: ToString>(&mut self, at: (&str, usize), field: &str, value: Result<T, E>) -> Option<T> {
        value.map_err(|e| self.fail(at.0, at.1, field, e.to_string())).ok()
    }

    fn history(&mut self, raw: RawHistory, tenant: &TenantId) -> History {
        let mut history = History::default();
        let mut zones = HashMap::new();
        let mut seen = BTreeSet::new();
        for (i, c) in raw.customers.into_iter().enumerate() {
            if self.listed_twice(&mut seen, ("customers", i), "customer", &c.id) {
                continue;
            }
            if let Some(customer) = self.customer(("customers", i), c, tenant) {
                zones.insert(customer.id.clone(), customer.time_zone.clone());
                history.customers.push(customer);
            }
        }
        let customers = seen;
        let mut issued = HashMap::new();
        let mut seen = BTreeSet::new();
        for (i, raw) in raw.invoices.into_iter().enumerate() {
            if self.listed_twice(&mut seen, ("invoices", i), "invoice", &raw.id) {
                continue;
            }
            // An invoice of a customer rejected above is not reported twice.
            if customers.contains(&raw.customer) && !zones.keys().any(|c| c.as_str() == raw.customer) {
                continue;
            }
            if let Some(invoice) = self.invoice(("invoices", i), raw, tenant, &zones) {
                issued.insert(invoice.invoice.id.clone(), invoice.issued_at);
                history.invoices.push(invoice);
            }
        }
        let invoices = seen;
        let mut seen = BTreeSet::new();
        for (i, raw) in raw.payments.into_iter().enumerate() {
            if self.listed_twice(&mut seen, ("payments", i), "payment", &raw.id) {
                continue;
            }
            if invoices.contains(&raw.invoice) && !issued.keys().any(|i: &InvoiceId| i.as_str() == raw.invoice) {
                continue;
            }
            if let Some(payment) = self.payment(("payments", i), raw, tenant, &issued) {
                history.payments.push(payment);
            }
        }
        history
    }

    /// True (and an error) when `id` came before in the same array.
    fn listed_twice(&mut self, seen: &mut BTreeSet<String>, at: (&str, usize), kind: &str, id: &str) -> bool {
        if seen.insert(id.to_string()) {
            return false;
        }
        self.fail(at.0, at.1, "id", format!("{kind} {id} is listed twice"));
        true
    }

    fn customer(&mut self, at: (&str, usize), c: RawCustomer, tenant: &TenantId) -> Option<Customer> {
        let id = self.check(at, "id", CustomerId::new(c.id));
        let zone = self.check(at, "time_zone", time::zone(&c.time_zone).map(|_| c.time_zone.clone()));
        let email = match c.email {
            Some(e) if !e.contains('@') || e.chars().any(char::is_whitespace) => {
                self.fail(at.0, at.1, "email", format!("{e:?} is not an email address"));
                None
            }
            other => other,
        };
        let phone = match c.phone {
            Some(p) if !is_e164(&p) => {
                self.fail(at.0, at.1, "phone", format!("{p:?} is not an E.164 number such as +15550100"));
                None
            }
            other => other,
        };
        let (id, zone) = (id?, zone?);
        Some(Customer {
            tenant: tenant.clone(),
            name: c.name.unwrap_or_else(|| format!("Customer {id}")),
            id,
            email,
            phone,
            language: c.language.unwrap_or_else(|| "en".into()),
            time_zone: zone,
            tier: c.tier.unwrap_or_else(|| "standard".into()),
            preferred_channel: c.preferred_channel,
            opted_out: c.opted_out,
            unverified: Vec::new(),
            tags: c.tags,
            stats: CustomerStats::default(),
        })
    }

    fn invoice(
        &mut self,
        at: (&str, usize),
        raw: RawInvoice,
        tenant: &TenantId,
        zones: &HashMap<CustomerId, String>,
    ) -> Option<IssuedInvoice> {
        let id = self.check(at, "id", InvoiceId::new(raw.id));
        let customer = CustomerId::new(raw.customer.clone())
            .ok()
            .filter(|c| zones.contains_key(c))
            .ok_or_else(|| format!("customer {:?} is not in customers", raw.customer));
        let customer = self.check(at, "customer", customer);
        let total = self.check(at, "currency", Money::new(raw.amount_minor, &raw.currency));
        if raw.amount_minor <= 0 {
            self.fail(at.0, at.1, "amount_minor", format!("must be more than 0, got {}", raw.amount_minor));
        }
        let issued_on = self.check(at, "issued_on", date(&raw.issued_on));
        let due_on = self.check(at, "due_on", date(&raw.due_on));
        let issued_at = match &raw.issued_at {
            Some(text) => self.check(at, "issued_at", timestamp(text)).map(Some),
            None => Some(None),
        };
        let (id, customer, total, issued_on, due_on, issued_at) =
            (id?, customer?, total?, issued_on?, due_on?, issued_at?);
        if raw.amount_minor <= 0 {
            return None;
        }
        if due_on < issued_on {
            self.fail(at.0, at.1, "due_on", format!("due date {due_on} is before issued_on {issued_on}"));
            return None;
        }
        let tz = time::zone(zones.get(&customer).map_or("UTC", String::as_str)).ok()?;
        let issued_at = issued_at.unwrap_or_else(|| time::local_instant(issued_on, 9, &tz));
        Some(IssuedInvoice {
            invoice: Invoice {
                tenant: tenant.clone(),
                number: raw.number.unwrap_or_else(|| id.to_string()),
                id,
                customer,
                amount_remaining_minor: total.amount_minor,
                total,
                issued_on,
                due_on,
                status: InvoiceStatus::Open,
                disputed: raw.disputed,
                payment_link: raw.payment_link,
                tags: raw.tags,
                paid_at: None,
                next_evaluation: None,
                closed_reason: None,
            },
            issued_at,
        })
    }

    fn payment(
        &mut self,
        at: (&str, usize),
        raw: RawPayment,
        tenant: &TenantId,
        issued: &HashMap<InvoiceId, Timestamp>,
    ) -> Option<Payment> {
        let id = self.check(at, "id", PaymentId::new(raw.id));
        let invoice = InvoiceId::new(raw.invoice.clone())
            .ok()
            .and_then(|i| issued.get(&i).map(|at| (i, *at)))
            .ok_or_else(|| format!("invoice {:?} is not in invoices", raw.invoice));
        let invoice = self.check(at, "invoice", invoice);
        if raw.amount_minor <= 0 {
            self.fail(at.0, at.1, "amount_minor", format!("must be more than 0, got {}", raw.amount_minor));
        }
        let received_at = self.check(at, "received_at", timestamp(&raw.received_at));
        let (id, (invoice, issued_at), received_at) = (id?, invoice?, received_at?);
        if received_at < issued_at {
            self.fail(
                at.0,
                at.1,
                "received_at",
                format!("{received_at} is before invoice {invoice} was issued ({issued_at})"),
            );
            return None;
        }
        (raw.amount_minor > 0).then(|| Payment {
            tenant: tenant.clone(),
            id,
            invoice,
            amount_minor: raw.amount_minor,
            received_at,
        })
    }
}

fn date(text: &str) -> Result<Date, String> {
    text.parse().map_err(|e| format!("expected a date as YYYY-MM-DD, got {text:?} ({e})"))
}

fn timestamp(text: &str) -> Result<Timestamp, String> {
    text.parse()
        .map_err(|_| format!("expected an RFC 3339 instant with an offset such as 2024-02-10T14:00:00Z, got {text:?}"))
}

fn is_e164(phone: &str) -> bool {
    phone
        .strip_prefix('+')
        .is_some_and(|digits| (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant() -> TenantId {
        TenantId::new("acme").unwrap()
    }

    const GOOD: &str = r#"{
  "customers": [
    {"id": "c-1", "time_zone": "Europe/London", "email": "ada@example.invalid"},
    {"id": "c-2", "time_zone": "Asia/Tokyo", "phone": "+81312345678", "opted_out": ["email"]}
  ],
  "invoices": [
    {"id": "inv-1", "customer": "c-1", "amount_minor": 12000, "currency": "GBP",
     "issued_on": "2024-01-05", "due_on": "2024-02-04"},
    {"id": "inv-2", "customer": "c-2", "amount_minor": 5000, "currency": "JPY",
     "issued_on": "2024-01-10", "due_on": "2024-02-09", "issued_at": "2024-01-10T01:00:00Z", "disputed": true}
  ],
  "payments": [
    {"id": "p-1", "invoice": "inv-1", "amount_minor": 2000, "received_at": "2024-02-01T10:00:00Z"},
    {"id": "p-2", "invoice": "inv-1", "amount_minor": 10000, "received_at": "2024-02-20T10:00:00+01:00"}
  ]
}"#;

    #[test]
    fn reads_customers_invoices_and_partial_payments_with_defaults() {
        let h = read(GOOD, &tenant()).unwrap();
        assert_eq!((h.customers.len(), h.invoices.len(), h.payments.len()), (2, 2, 2));
        assert_eq!(h.customers[0].name, "Customer c-1");
        assert_eq!(h.customers[1].reachable_channels(), vec![Channel::Sms]);
        assert_eq!(h.invoices[0].issued_at.to_string(), "2024-01-05T09:00:00Z", "09:00 in London in winter");
        assert_eq!(h.invoices[0].invoice.number, "inv-1");
        assert_eq!(h.invoices[1].issued_at.to_string(), "2024-01-10T01:00:00Z");
        assert!(h.invoices[1].invoice.disputed);
        assert_eq!(h.payments[1].received_at.to_string(), "2024-02-20T09:00:00Z");
    }

    #[test]
    fn a_wrong_type_names_its_line_column_and_record() {
        let text = GOOD.replace(r#""amount_minor": 5000"#, r#""amount_minor": "fifty""#);
        let err = read(&text, &tenant()).unwrap_err().to_string();
        assert!(err.starts_with("line 9, column "), "{err}");
        assert!(err.contains("invoices[1]") && err.contains("expected i64"), "{err}");
        let err = read(&GOOD.replace("\"time_zone\": \"Asia/Tokyo\"", "\"tz\": \"Asia/Tokyo\""), &tenant())
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `tz`") && err.contains("customers[1]"), "{err}");
        let err = read("{\"customers\": [}", &tenant()).unwrap_err().to_string();
        assert!(err.starts_with("line 1, column 16"), "{err}");
    }

    #[test]
    fn every_broken_rule_is_listed_with_its_line_and_field() {
        let text = GOOD
            .replace("Asia/Tokyo", "Mars/Olympus")
            .replace(r#""customer": "c-1""#, r#""customer": "c-9""#)
            .replace(r#""due_on": "2024-02-09""#, r#""due_on": "2024-01-09""#)
            .replace("\n  ]\n}", ",\n    {\"id\": \"p-3\", \"invoice\": \"inv-7\", \"amount_minor\": 1, \"received_at\": \"2024-02-20T10:00:00Z\"}\n  ]\n}");
        let Err(ImportError::Records(errors)) = read(&text, &tenant()) else { panic!("must reject") };
        let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown.iter().map(|e| e.split(':').next().unwrap()).collect::<Vec<_>>(),
            [
                "line 4, field customers[1].time_zone",
                "line 7, field invoices[0].customer",
                "line 15, field payments[2].invoice",
            ],
            "{shown:#?}"
        );
        assert!(shown[1].contains("\"c-9\" is not in customers"), "{shown:#?}");
        assert!(shown[2].contains("\"inv-7\" is not in invoices"), "{shown:#?}");
        // Payments of a rejected invoice, invoices of a rejected customer: not reported again.
        let text = GOOD.replace(r#""received_at": "2024-02-01T10:00:00Z""#, r#""received_at": "yesterday""#);
        let err = read(&text, &tenant()).unwrap_err().to_string();
        assert!(err.contains("line 13, field payments[0].received_at: expected an RFC 3339 instant"), "{err}");
        // Once the customer is fixed, the due date is checked too.
        let text = GOOD.replace(r#""due_on": "2024-02-09""#, r#""due_on": "2024-01-09""#);
        let err = read(&text, &tenant()).unwrap_err().to_string();
        assert!(err.contains("line 10, field invoices[1].due_on: due date 2024-01-09 is before"), "{err}");
    }

    #[test]
    fn a_payment_before_its_invoice_and_duplicates_are_refused() {
        let text = GOOD
            .replace("2024-02-01T10:00:00Z", "2023-12-01T10:00:00Z")
            .replace(r#""id": "p-2""#, r#""id": "p-1""#)
            .replace(r#""phone": "+81312345678""#, r#""phone": "555-0100""#);
        let err = read(&text, &tenant()).unwrap_err().to_string();
        assert!(err.contains("customers[1].phone: \"555-0100\" is not an E.164 number"), "{err}");
        assert!(err.contains("payments[0].received_at: 2023-12-01T10:00:00Z is before invoice inv-1"), "{err}");
        assert!(err.contains("payments[1].id: payment p-1 is listed twice"), "{err}");
        let empty = r#"{"customers": [], "invoices": []}"#;
        assert!(matches!(read(empty, &tenant()), Err(ImportError::Empty)));
    }
}
