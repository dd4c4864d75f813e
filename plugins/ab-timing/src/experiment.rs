//! The experiment: which arm the host assigned, and what each arm does.

use nudge_sdk::{Context, Experiment, Level, Step, Tone, days_overdue, log};

/// The experiment's name, as declared in `describe()`.
pub const EXPERIMENT: &str = "first-reminder-timing";

/// The experiment's arms: when the first reminder goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arm {
    /// The first reminder the day after the due date (`overdue-1`, friendly).
    Control,
    /// The first reminder `early_days` before the due date (`pre-due`, gentle).
    Early,
}

impl Arm {
    /// Every arm, control first.
    pub const ALL: [Arm; 2] = [Arm::Control, Arm::Early];

    /// The arm's name, as declared in `describe()`.
    pub const fn name(self) -> &'static str {
        match self {
            Arm::Control => "control",
            Arm::Early => "early",
        }
    }

    /// The arm the host assigned to this customer. Without one (an older
    /// host, a dry run, a replay before the experiment started) or with an
    /// arm this version does not know, the customer gets the control arm.
    pub fn assigned(ctx: &Context) -> Arm {
        let Some(assigned) = ctx.experiments.iter().find(|arm| arm.experiment == EXPERIMENT) else {
            log(Level::Debug, "no arm assigned for first-reminder-timing; using control");
            return Arm::Control;
        };
        match Arm::ALL.into_iter().find(|arm| arm.name() == assigned.arm) {
            Some(arm) => arm,
            None => {
                log(Level::Warn, &format!("unknown arm {:?} of first-reminder-timing; using control", assigned.arm));
                Arm::Control
            }
        }
    }

    /// The arm's sequence for the invoice in `ctx`: its first reminder, then
    /// the common steps.
    ///
    /// A pre-due reminder only makes sense before the due date: an invoice
    /// of the early arm that reaches the policy on or after its due date
    /// with no pre-due notice sent gets the control arm's first reminder
    /// instead. Its notices still carry the arm it was assigned, so reports
    /// compare arms as assigned.
    pub fn steps(self, ctx: &Context, early_days: i64) -> Vec<Step> {
        let pre_due_sent = ctx.history.notices.iter().any(|notice| notice.step == "pre-due");
        let early = self == Arm::Early && (days_overdue(ctx) < 0 || pre_due_sent);
        let first = if early {
            Step::new("pre-due", -early_days, Tone::Gentle)
        } else {
            Step::new("overdue-1", 1, Tone::Friendly)
        };
        vec![first, Step::new("overdue-7", 7, Tone::Firm), Step::new("overdue-14", 14, Tone::Urgent)]
    }
}

/// The experiment as `describe()` declares it to the host.
pub fn declaration() -> Experiment {
    Experiment { name: EXPERIMENT.to_owned(), arms: Arm::ALL.iter().map(|arm| arm.name().to_owned()).collect() }
}
