//! Stripe customers and invoices as nudge [`Customer`]s and [`Invoice`]s.
//!
//! - amounts stay in minor units; the currency is upper-cased;
//! - the invoice is issued when it was finalized (else when it took effect,
//!   else when it was created), and due on `due_date`, else at the end of its
//!   billed period, else on the day of issue; both dates are read in the
//!   customer's time zone;
//! - status: open, paid, void, uncollectible map one to one; a draft is not
//!   an invoice yet;
//! - the time zone comes from metadata `time_zone` (an IANA name), else from
//!   the address country when one zone covers it, else the tenant's default;
//! - contacts are `email` and `phone` (normalised to E.164; a number that
//!   cannot be is dropped with a warning, so it is never texted);
//! - the payment link is `hosted_invoice_url`.

use jiff::{Timestamp, tz::TimeZone};
use nudge_core::{
    Channel, Customer, CustomerId, CustomerStats, Invoice, InvoiceId, InvoiceStatus, Money, Payment, PaymentId,
    TenantId, time,
};

use super::event::{Address, StripeCustomer, StripeInvoice};

/// Why a Stripe object cannot become a nudge record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MapError {
    /// A field holds a value nudge cannot use.
    #[error("Stripe {object} {id}: field {field}: {message}")]
    Field {
        /// "invoice" or "customer".
        object: &'static str,
        /// The object's id.
        id: String,
        /// The field.
        field: &'static str,
        /// What was wrong and what was expected.
        message: String,
    },
}

/// A customer mapped from Stripe, with what was left out and why.
#[derive(Debug, Clone, PartialEq)]
pub struct MappedCustomer {
    /// The customer (stats empty: the host keeps its own).
    pub customer: Customer,
    /// Values that could not be used, each saying which and why.
    pub warnings: Vec<String>,
}

/// An invoice mapped from Stripe.
#[derive(Debug, Clone, PartialEq)]
pub struct MappedInvoice {
    /// The invoice; its status is Stripe's.
    pub invoice: Invoice,
    /// When it was issued (finalized).
    pub issued_at: Timestamp,
    /// When it was paid, for a paid invoice.
    pub paid_at: Option<Timestamp>,
}

/// Countries that one IANA zone covers; countries spanning several UTC
/// offsets (US, CA, MX, BR, RU, AU, ID, KZ, ES, PT, ...) are not guessed.
const COUNTRY_ZONES: &[(&str, &str)] = &[
    ("AE", "Asia/Dubai"),
    ("AR", "America/Argentina/Buenos_Aires"),
    ("AT", "Europe/Vienna"),
    ("BE", "Europe/Brussels"),
    ("BG", "Europe/Sofia"),
    ("CH", "Europe/Zurich"),
    ("CN", "Asia/Shanghai"),
    ("CO", "America/Bogota"),
    ("CZ", "Europe/Prague"),
    ("DE", "Europe/Berlin"),
    ("DK", "Europe/Copenhagen"),
    ("EE", "Europe/Tallinn"),
    ("EG", "Africa/Cairo"),
    ("FI", "Europe/Helsinki"),
    ("FR", "Europe/Paris"),
    ("GB", "Europe/London"),
    ("GR", "Europe/Athens"),
    ("HK", "Asia/Hong_Kong"),
    ("HR", "Europe/Zagreb"),
    ("HU", "Europe/Budapest"),
    ("IE", "Europe/Dublin"),
    ("IL", "Asia/Jerusalem"),
    ("IN", "Asia/Kolkata"),
    ("IS", "Atlantic/Reykjavik"),
    ("IT", "Europe/Rome"),
    ("JP", "Asia/Tokyo"),
    ("KE", "Africa/Nairobi"),
    ("KR", "Asia/Seoul"),
    ("LT", "Europe/Vilnius"),
    ("LU", "Europe/Luxembourg"),
    ("LV", "Europe/Riga"),
    ("MT", "Europe/Malta"),
    ("NG", "Africa/Lagos"),
    ("NL", "Europe/Amsterdam"),
    ("NO", "Europe/Oslo"),
    ("PE", "America/Lima"),
    ("PH", "Asia/Manila"),
    ("PL", "Europe/Warsaw"),
    ("RO", "Europe/Bucharest"),
    ("SA", "Asia/Riyadh"),
    ("SE", "Europe/Stockholm"),
    ("SG", "Asia/Singapore"),
    ("SI", "Europe/Ljubljana"),
    ("SK", "Europe/Bratislava"),
    ("TH", "Asia/Bangkok"),
    ("TR", "Europe/Istanbul"),
    ("TW", "Asia/Taipei"),
    ("VN", "Asia/Ho_Chi_Minh"),
    ("ZA", "Africa/Johannesburg"),
];

/// The IANA zone of a country that one zone covers, if it is one of those.
pub fn country_zone(country: &str) -> Option<&'static str> {
    let code = country.trim().to_ascii_uppercase();
    COUNTRY_ZONES.iter().find(|(c, _)| *c == code).map(|(_, zone)| *zone)
}

fn field(object: &'static str, id: &str, field: &'static str, message: impl Into<String>) -> MapError {
    MapError::Field { object, id: id.to_string(), field, message: message.into() }
}

fn zone_for(
    object: &'static str,
    id: &str,
    metadata: &std::collections::BTreeMap<String, String>,
    address: Option<&Address>,
    default_zone: &str,
) -> Result<String, MapError> {
    if let Some(zone) = metadata.get("time_zone").map(|z| z.trim()).filter(|z| !z.is_empty()) {
        time::zone(zone).map_err(|e| field(object, id, "metadata.time_zone", e.to_string()))?;
        return Ok(zone.to_string());
    }
    if let Some(zone) = address.and_then(|a| a.country.as_deref()).and_then(country_zone) {
        return Ok(zone.to_string());
    }
    time::zone(default_zone).map_err(|e| field(object, id, "(tenant default time zone)", e.to_string()))?;
    Ok(default_zone.to_string())
}

/// A phone number in E.164 (`+` and 8 to 15 digits), from the way people type them.
fn e164(phone: &str) -> Option<String> {
    // "+44 (0)20 ..." writes the trunk prefix a caller from abroad leaves out.
    let trimmed = phone.trim().replacen("(0)", "", 1);
    let rest = trimmed.strip_prefix('+')?;
    if !rest.chars().all(|c| c.is_ascii_digit() || " -().".contains(c)) {
        return None;
    }
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    (8..=15).contains(&digits.len()).then(|| format!("+{digits}"))
}

fn email(value: Option<&str>) -> Option<String> {
    value.map(str::trim).filter(|e| e.len() >= 3 && e.contains('@') && !e.contains(char::is_whitespace)).map(Into::into)
}

/// Contacts from an email and a phone field, with warnings for unusable values.
fn contacts(
    email_value: Option<&str>,
    phone: Option<&str>,
    warnings: &mut Vec<String>,
) -> (Option<String>, Option<String>) {
    let mail = email(email_value);
    if mail.is_none()
        && let Some(raw) = email_value.filter(|e| !e.trim().is_empty())
    {
        warnings.push(format!("email {:?} is not an address; no email will be sent", cut(raw)));
    }
    let phone_value = phone.filter(|p| !p.trim().is_empty());
    let number = phone_value.and_then(e164);
    if number.is_none() && phone_value.is_some() {
        warnings.push("phone is not in international form (+ and 8 to 15 digits); no text message will be sent".into());
    }
    (mail, number)
}

fn cut(s: &str) -> String {
    s.chars().take(64).collect()
}

/// Maps a Stripe customer for `tenant`; `default_zone` is the tenant's default time zone.
pub fn customer(c: &StripeCustomer, tenant: &TenantId, default_zone: &str) -> Result<MappedCustomer, MapError> {
    let id = CustomerId::new(c.id.as_str()).map_err(|e| field("customer", &c.id, "id", e.to_string()))?;
    let mut warnings = Vec::new();
    let time_zone = zone_for("customer", &c.id, &c.metadata, c.address.as_ref(), default_zone)?;
    let (email, phone) = contacts(c.email.as_deref(), c.phone.as_deref(), &mut warnings);
    let preferred_channel = match c.metadata.get("preferred_channel") {
        Some(name) => match name.parse::<Channel>() {
            Ok(channel) => Some(channel),
            Err(e) => {
                warnings.push(format!("metadata.preferred_channel: {e}"));
                None
            }
        },
        None => None,
    };
    let name = c.name.as_deref().map(str::trim).filter(|n| !n.is_empty());
    let customer = Customer {
        tenant: tenant.clone(),
        name: name.map_or_else(|| format!("Customer {id}"), Into::into),
        id,
        email,
        phone,
        language: c.preferred_locales.first().cloned().unwrap_or_else(|| "en".into()),
        time_zone,
        tier: c.metadata.get("tier").cloned().unwrap_or_else(|| "standard".into()),
        preferred_channel,
        opted_out: Vec::new(),
        unverified: Vec::new(),
        tags: Vec::new(),
        stats: CustomerStats::default(),
    };
    Ok(MappedCustomer { customer, warnings })
}

/// A customer known only from an invoice (its `customer_*` fields), for an
/// invoice event that arrives before the customer's own event.
pub fn customer_from_invoice(
    i: &StripeInvoice,
    tenant: &TenantId,
    default_zone: &str,
) -> Result<MappedCustomer, MapError> {
    let customer_id = i.customer.as_deref().ok_or_else(|| field("invoice", &i.id, "customer", "missing"))?;
    let c = StripeCustomer {
        id: customer_id.to_string(),
        created: None,
        name: i.customer_name.clone(),
        email: i.customer_email.clone(),
        phone: i.customer_phone.clone(),
        address: i.customer_address.clone(),
        preferred_locales: Vec::new(),
        metadata: Default::default(),
    };
    customer(&c, tenant, default_zone)
}

fn instant(object: &'static str, id: &str, name: &'static str, seconds: i64) -> Result<Timestamp, MapError> {
    Timestamp::from_second(seconds)
        .map_err(|_| field(object, id, name, format!("{seconds} is not a Unix time in range")))
}

/// Maps a Stripe invoice for `tenant`, reading its dates in `zone` (the customer's).
pub fn invoice(i: &StripeInvoice, tenant: &TenantId, zone: &TimeZone) -> Result<MappedInvoice, MapError> {
    let f = |name: &'static str, message: String| field("invoice", &i.id, name, message);
    let id = InvoiceId::new(i.id.as_str()).map_err(|e| f("id", e.to_string()))?;
    let customer_id = i.customer.as_deref().ok_or_else(|| f("customer", "missing".into()))?;
    let customer = CustomerId::new(customer_id).map_err(|e| f("customer", e.to_string()))?;
    let status = match i.status.as_deref() {
        Some("open") => InvoiceStatus::Open,
        Some("paid") => InvoiceStatus::Paid,
        Some("void") => InvoiceStatus::Void,
        Some("uncollectible") => InvoiceStatus::Uncollectible,
        Some("draft") => {
            return Err(f("status", "a draft is not an invoice yet (it has no number or due date)".into()));
        }
        Some(other) => {
            return Err(f(
                "status",
                format!("unknown status {:?}; expected open, paid, void or uncollectible", cut(other)),
            ));
        }
        None => return Err(f("status", "missing".into())),
    };
    let currency = i.currency.trim().to_ascii_uppercase();
    let total = Money::new(i.amount_due, &currency).map_err(|e| f("currency", e.to_string()))?;
    if i.amount_due < 0 {
        return Err(f("amount_due", format!("{} is negative", i.amount_due)));
    }
    if !(0..=i.amount_due).contains(&i.amount_remaining) {
        return Err(f(
            "amount_remaining",
            format!("{} is not between 0 and amount_due {}", i.amount_remaining, i.amount_due),
        ));
    }
    let transitions = i.status_transitions.clone().unwrap_or_default();
    let issued_seconds = transitions.finalized_at.or(i.effective_at).unwrap_or(i.created);
    let issued_at = instant("invoice", &i.id, "status_transitions.finalized_at", issued_seconds)?;
    let issued_on = time::local_date(issued_at, zone);
    let due_on = match (i.due_date, i.period_end) {
        (Some(due), _) => time::local_date(instant("invoice", &i.id, "due_date", due)?, zone),
        (None, Some(end)) => time::local_date(instant("invoice", &i.id, "period_end", end)?, zone).max(issued_on),
        (None, None) => issued_on,
    };
    if due_on < issued_on {
        return Err(f("due_date", format!("{due_on} is before the day the invoice was issued, {issued_on}")));
    }
    let paid_at = match status {
        InvoiceStatus::Paid => Some(instant(
            "invoice",
            &i.id,
            "status_transitions.paid_at",
            transitions.paid_at.unwrap_or(issued_seconds),
        )?),
        _ => None,
    };
    let payment_link =
        i.hosted_invoice_url.as_deref().map(str::trim).filter(|u| u.starts_with("https://")).map(Into::into);
    let invoice = Invoice {
        tenant: tenant.clone(),
        number: i.number.clone().filter(|n| !n.trim().is_empty()).unwrap_or_else(|| id.to_string()),
        id,
        customer,
        total,
        amount_remaining_minor: i.amount_remaining,
        issued_on,
        due_on,
        status,
        disputed: false,
        payment_link,
        tags: Vec::new(),
        paid_at,
        next_evaluation: None,
        closed_reason: None,
    };
    Ok(MappedInvoice { invoice, issued_at, paid_at })
}

/// The payment that settles a paid invoice in nudge: one per invoice (its
/// id is derived from the invoice's), for `amount_minor` at `received_at`.
#[allow(clippy::expect_used)]
pub fn settlement(invoice: &InvoiceId, tenant: &TenantId, amount_minor: i64, received_at: Timestamp) -> Payment {
    // At most 120 bytes of a valid id (printable ASCII, no '/') plus "-paid"
    // is again a valid id: the expect cannot fire.
    let base: String = invoice.as_str().chars().take(120).collect();
    let id = PaymentId::new(format!("{base}-paid")).expect("a prefix of a valid id plus -paid is valid");
    Payment { tenant: tenant.clone(), id, invoice: invoice.clone(), amount_minor, received_at }
}
