//! The accounts-receivable history format (`examples/data/accounts-receivable.csv`).
//!
//! The file has no names, contacts, time zones or currency, so they are
//! derived, stably, from its columns:
//!
//! - currency: USD for every amount;
//! - name: `Customer <customerID>`; language `en`; tier `standard`;
//! - email: `<customerid>@customers.nudge.invalid` (lower case) for everyone;
//! - phone: a number in the fictional `+1 555 01xx` range, derived from the
//!   customer id, for customers with at least one `Electronic` bill;
//! - time zone from `countryCode` (no mapping is published, so one zone per
//!   code, spread over continents): 391 America/New_York, 406 Europe/London,
//!   770 Asia/Kolkata, 818 Australia/Sydney, 897 America/Los_Angeles;
//! - `Disputed = Yes` marks the invoice disputed from its issue;
//! - `SettledDate` is when full payment arrived.
//!
//! As a [`History`] ([`ArData::into_history`]), each invoice is issued at
//! 09:00 local time on its invoice date and its full payment arrives at 00:00
//! local time on its settlement date (one minute after issue if settled the
//! same day).

use std::{collections::BTreeMap, io::Read};

use jiff::{SignedDuration, civil::Date};
use nudge_core::{
    Customer, CustomerId, CustomerStats, Invoice, InvoiceId, InvoiceStatus, Money, Payment, PaymentId, TenantId, time,
};

use crate::{History, ImportError, IssuedInvoice, RowError};

const COLUMNS: [&str; 10] = [
    "countryCode",
    "customerID",
    "invoiceNumber",
    "InvoiceDate",
    "DueDate",
    "InvoiceAmount",
    "Disputed",
    "SettledDate",
    "PaperlessBill",
    "DaysLate",
];
const EXPECTED: &str = "countryCode, customerID, PaperlessDate, invoiceNumber, InvoiceDate, DueDate, InvoiceAmount, Disputed, SettledDate, PaperlessBill, DaysToSettle, DaysLate";

/// One invoice of the history and the day it was settled.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoricInvoice {
    /// The invoice as nudge stores it (status open: the history is replayed).
    pub invoice: Invoice,
    /// The date full payment arrived.
    pub settled_on: Date,
    /// Days late as the file states it.
    pub days_late: i32,
}

/// Everything read from one file.
#[derive(Debug, Clone, PartialEq)]
pub struct ArData {
    /// Customers, one per `customerID`, ordered by id.
    pub customers: Vec<Customer>,
    /// Invoices in file order.
    pub invoices: Vec<HistoricInvoice>,
}

impl ArData {
    /// The history as nudge replays it: issued at 09:00 local on the invoice
    /// date, paid in full at 00:00 local on the settlement date (never before
    /// issue), the payment's id `settle-<invoice>`.
    pub fn into_history(self) -> Result<History, nudge_core::Error> {
        let zones: BTreeMap<CustomerId, String> =
            self.customers.iter().map(|c| (c.id.clone(), c.time_zone.clone())).collect();
        let mut invoices = Vec::with_capacity(self.invoices.len());
        let mut payments = Vec::with_capacity(self.invoices.len());
        for h in self.invoices {
            let zone = zones.get(&h.invoice.customer).map_or("UTC", String::as_str);
            let tz = time::zone(zone)?;
            let issued_at = time::local_instant(h.invoice.issued_on, 9, &tz);
            let received_at = time::local_instant(h.settled_on, 0, &tz).max(issued_at + SignedDuration::from_mins(1));
            payments.push(Payment {
                tenant: h.invoice.tenant.clone(),
                id: PaymentId::new(format!("settle-{}", h.invoice.id))?,
                invoice: h.invoice.id.clone(),
                amount_minor: h.invoice.total.amount_minor,
                received_at,
            });
            invoices.push(IssuedInvoice { invoice: h.invoice, issued_at });
        }
        Ok(History { customers: self.customers, invoices, payments })
    }
}

/// The time zone derived for a `countryCode`.
pub fn zone_for_country_code(code: &str) -> Option<&'static str> {
    Some(match code {
        "391" => "America/New_York",
        "406" => "Europe/London",
        "770" => "Asia/Kolkata",
        "818" => "Australia/Sydney",
        "897" => "America/Los_Angeles",
        _ => return None,
    })
}

/// Reads a whole file. Any invalid row rejects the file, with every error listed.
pub fn read(input: impl Read, tenant: &TenantId) -> Result<ArData, ImportError> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(input);
    let headers = reader.headers()?.clone();
    let index: BTreeMap<&str, usize> = headers.iter().enumerate().map(|(i, h)| (h, i)).collect();
    let missing: Vec<&str> = COLUMNS.iter().copied().filter(|c| !index.contains_key(c)).collect();
    if !missing.is_empty() {
        return Err(ImportError::Header { missing: missing.join(", "), expected: EXPECTED });
    }
    let mut errors = Vec::new();
    let mut invoices = Vec::new();
    let mut seen = BTreeMap::new();
    let mut customers: BTreeMap<String, (String, bool)> = BTreeMap::new();
    for (n, record) in reader.records().enumerate() {
        let line = n as u64 + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(RowError { line, column: None, message: e.to_string() });
                continue;
            }
        };
        let field = |name: &'static str| record.get(index[name]).unwrap_or("");
        let mut row = Row { line, errors: &mut errors };
        let zone = row.check(
            "countryCode",
            zone_for_country_code(field("countryCode")).ok_or_else(|| {
                format!("unknown country code {:?}; expected 391, 406, 770, 818 or 897", field("countryCode"))
            }),
        );
        let customer = row.check("customerID", CustomerId::new(field("customerID")).map_err(|e| e.to_string()));
        let invoice_id = row.check("invoiceNumber", InvoiceId::new(field("invoiceNumber")).map_err(|e| e.to_string()));
        let issued = row.check("InvoiceDate", date(field("InvoiceDate")));
        let due = row.check("DueDate", date(field("DueDate")));
        let settled = row.check("SettledDate", date(field("SettledDate")));
        let amount = row.check("InvoiceAmount", amount_minor(field("InvoiceAmount")));
        let disputed = row.check("Disputed", yes_no(field("Disputed")));
        let electronic = row.check(
            "PaperlessBill",
            match field("PaperlessBill") {
                "Electronic" => Ok(true),
                "Paper" => Ok(false),
                other => Err(format!("expected Paper or Electronic, got {other:?}")),
            },
        );
        let days_late = row.check(
            "DaysLate",
            field("DaysLate")
                .parse::<i32>()
                .map_err(|_| format!("expected a whole number of days, got {:?}", field("DaysLate"))),
        );
        let (
            Some(zone),
            Some(customer),
            Some(invoice_id),
            Some(issued),
            Some(due),
            Some(settled),
            Some(amount),
            Some(disputed),
            Some(electronic),
            Some(days_late),
        ) = (zone, customer, invoice_id, issued, due, settled, amount, disputed, electronic, days_late)
        else {
            continue;
        };
        if due < issued {
            row.fail("DueDate", format!("due date {due} is before invoice date {issued}"));
            continue;
        }
        if settled < issued {
            row.fail("SettledDate", format!("settled date {settled} is before invoice date {issued}"));
            continue;
        }
        if let Some(first) = seen.insert(invoice_id.clone(), line) {
            row.fail("invoiceNumber", format!("invoice {invoice_id} already appears on line {first}"));
            continue;
        }
        let entry = customers.entry(customer.to_string()).or_insert_with(|| (zone.to_string(), false));
        if entry.0 != zone {
            row.fail("countryCode", format!("customer {customer} appears with two country codes"));
            continue;
        }
        entry.1 |= electronic;
        invoices.push(HistoricInvoice {
            invoice: Invoice {
                tenant: tenant.clone(),
                id: invoice_id.clone(),
                customer,
                number: invoice_id.to_string(),
                total: Money { amount_minor: amount, currency: "USD".into() },
                amount_remaining_minor: amount,
                issued_on: issued,
                due_on: due,
                status: InvoiceStatus::Open,
                disputed,
                payment_link: Some(format!("https://pay.nudge.invalid/{tenant}/{invoice_id}")),
                tags: Vec::new(),
                paid_at: None,
                next_evaluation: None,
                closed_reason: None,
            },
            settled_on: settled,
            days_late,
        });
    }
    if !errors.is_empty() {
        return Err(ImportError::Rows(errors));
    }
    if invoices.is_empty() {
        return Err(ImportError::Empty);
    }
    let customers = customers
        .into_iter()
        .map(|(id, (zone, has_phone))| synthetic_customer(tenant, &id, &zone, has_phone))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            ImportError::Rows(vec![RowError { line: 0, column: Some("customerID"), message: e.to_string() }])
        })?;
    Ok(ArData { customers, invoices })
}

fn synthetic_customer(tenant: &TenantId, id: &str, zone: &str, has_phone: bool) -> Result<Customer, nudge_core::Error> {
    // A stable hash of the id picks a number in the fictional 555-01xx range.
    let hash = nudge_core::stable_hash(&[id]);
    Ok(Customer {
        tenant: tenant.clone(),
        id: CustomerId::new(id)?,
        name: format!("Customer {id}"),
        email: Some(format!("{}@customers.nudge.invalid", id.to_ascii_lowercase())),
        phone: has_phone.then(|| format!("+1555{:03}01{:02}", hash % 1000, (hash >> 10) % 100)),
        language: "en".into(),
        time_zone: zone.into(),
        tier: "standard".into(),
        preferred_channel: None,
        opted_out: Vec::new(),
        unverified: Vec::new(),
        tags: Vec::new(),
        stats: CustomerStats::default(),
    })
}

struct Row<'a> {
    line: u64,
    errors: &'a mut Vec<RowError>,
}

impl Row<'_> {
    fn check<T>(&mut self, column: &'static str, value: Result<T, String>) -> Option<T> {
        value.map_err(|message| self.fail(column, message)).ok()
    }

    fn fail(&mut self, column: &'static str, message: String) {
        self.errors.push(RowError { line: self.line, column: Some(column), message });
    }
}

/// Parses `M/D/YYYY`.
fn date(text: &str) -> Result<Date, String> {
    let bad = || format!("expected a date as M/D/YYYY, got {text:?}");
    let mut parts = text.split('/');
    let (Some(m), Some(d), Some(y), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(bad());
    };
    let (m, d, y) = (
        m.parse::<i8>().map_err(|_| bad())?,
        d.parse::<i8>().map_err(|_| bad())?,
        y.parse::<i16>().map_err(|_| bad())?,
    );
    Date::new(y, m, d).map_err(|e| format!("{text:?} is not a calendar date: {e}"))
}

/// Parses a decimal amount with at most two decimals into cents.
fn amount_minor(text: &str) -> Result<i64, String> {
    let bad = || format!("expected an amount such as 55.94, got {text:?}");
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty()
        || frac.len() > 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let frac: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().map_err(|_| bad())? };
    whole.checked_mul(100).and_then(|w| w.checked_add(frac)).ok_or_else(bad)
}

fn yes_no(text: &str) -> Result<bool, String> {
    match text {
        "Yes" => Ok(true),
        "No" => Ok(false),
        other => Err(format!("expected Yes or No, got {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "countryCode,customerID,PaperlessDate,invoiceNumber,InvoiceDate,DueDate,InvoiceAmount,Disputed,SettledDate,PaperlessBill,DaysToSettle,DaysLate\r\n";

    fn tenant() -> TenantId {
        TenantId::new("acme").unwrap()
    }

    #[test]
    fn parses_dates_and_amounts_including_leap_day() {
        assert_eq!(date("2/29/2012").unwrap(), Date::new(2012, 2, 29).unwrap());
        assert!(date("2/30/2012").is_err());
        assert!(date("2012-01-01").is_err());
        assert_eq!(amount_minor("5.26").unwrap(), 526);
        assert_eq!(amount_minor("128.2").unwrap(), 12820);
        assert_eq!(amount_minor("7").unwrap(), 700);
        assert!(amount_minor("1.234").is_err() && amount_minor("-3").is_err() && amount_minor("").is_err());
    }

    #[test]
    fn every_bad_row_is_reported_with_its_line_and_nothing_is_imported() {
        let csv = format!(
            "{HEADER}391,A-1,4/6/2013,1,1/2/2013,2/1/2013,55.94,No,1/15/2013,Paper,13,0\r\n\
             999,A-2,4/6/2013,2,1/2/2013,2/1/2013,5.00,No,1/15/2013,Paper,13,0\r\n\
             391,A-1,4/6/2013,3,13/2/2013,2/1/2013,abc,Maybe,1/15/2013,Paper,13,0\r\n\
             391,A-1,4/6/2013,1,1/2/2013,2/1/2013,1.00,No,1/15/2013,Paper,13,0\r\n"
        );
        let Err(ImportError::Rows(errors)) = read(csv.as_bytes(), &tenant()) else { panic!("must reject") };
        let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(errors.iter().map(|e| e.line).collect::<Vec<_>>(), vec![3, 4, 4, 4, 5], "{shown:#?}");
        assert!(shown[0].contains("country code \"999\""));
        assert!(shown[4].contains("already appears on line 2"));
    }

    #[test]
    fn missing_columns_are_named() {
        let err = read("customerID,invoiceNumber\r\nx,1\r\n".as_bytes(), &tenant()).unwrap_err().to_string();
        assert!(err.contains("countryCode") && err.contains("SettledDate"), "{err}");
    }

    #[test]
    fn contacts_are_stable_and_phones_only_for_electronic_billing() {
        let csv = format!(
            "{HEADER}391,A-1,4/6/2013,1,1/2/2013,2/1/2013,55.94,No,1/15/2013,Paper,13,0\r\n\
             818,B-2,4/6/2013,2,1/2/2013,2/1/2013,5.00,Yes,1/15/2013,Electronic,13,0\r\n"
        );
        let a = read(csv.as_bytes(), &tenant()).unwrap();
        let b = read(csv.as_bytes(), &tenant()).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.customers[0].email.as_deref(), Some("a-1@customers.nudge.invalid"));
        assert!(a.customers[0].phone.is_none());
        assert!(a.customers[1].phone.as_deref().unwrap().starts_with("+1555"));
        assert_eq!(a.customers[1].time_zone, "Australia/Sydney");
        assert!(a.invoices[1].invoice.disputed);
    }

    #[test]
    fn as_a_history_invoices_arrive_at_nine_and_payments_at_midnight_local() {
        let csv = format!(
            "{HEADER}391,A-1,4/6/2013,1,1/2/2013,2/1/2013,55.94,No,1/15/2013,Paper,13,0\r\n\
             818,B-2,4/6/2013,2,1/2/2013,2/1/2013,5.00,No,1/2/2013,Paper,0,0\r\n"
        );
        let history = read(csv.as_bytes(), &tenant()).unwrap().into_history().unwrap();
        assert_eq!(history.invoices[0].issued_at.to_string(), "2013-01-02T14:00:00Z", "09:00 in New York");
        assert_eq!(history.payments[0].received_at.to_string(), "2013-01-15T05:00:00Z", "00:00 in New York");
        assert_eq!(history.payments[0].id.as_str(), "settle-1");
        assert_eq!(history.payments[0].amount_minor, 5594);
        // Settled on its invoice date: one minute after issue, never before it.
        assert_eq!(history.invoices[1].issued_at.to_string(), "2013-01-01T22:00:00Z", "09:00 in Sydney");
        assert_eq!(history.payments[1].received_at.to_string(), "2013-01-01T22:01:00Z");
    }
}
