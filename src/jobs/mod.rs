//! Background jobs: the cron scheduler, the follow-up letter job and the outbox sender.

pub mod followup;
pub mod outbox;
pub mod scheduler;
