//! The scheduler: a tokio loop over `cron::Schedule::upcoming` that runs the follow-up job and then
//! the outbox sender, plus a sender loop that retries due letters every minute. Both stop when the
//! stop signal is sent (the application shuts down). Jobs are idempotent, so a double fire or a
//! restart is harmless.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::config::Settings;
use crate::db::DbPool;
use crate::mail::Mailer;

/// Stops the scheduler's loops when told, or when dropped.
pub struct Scheduler {
    stop: watch::Sender<bool>,
}

impl Scheduler {
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }
}

impl Drop for Scheduler {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Starts the loops on the current tokio runtime.
pub fn start(pool: DbPool, settings: Settings, mailer: Mailer) -> anyhow::Result<Scheduler> {
    let schedule = cron::Schedule::from_str(&settings.followup_cron)
        .map_err(|e| anyhow::anyhow!("followup_cron {:?}: {e}", settings.followup_cron))?;
    let (stop, stopped) = watch::channel(false);
    let shared = Arc::new((pool, settings, mailer));
    tokio::spawn(followup_loop(schedule, shared.clone(), stopped.clone()));
    tokio::spawn(sender_loop(shared, stopped));
    Ok(Scheduler { stop })
}

async fn followup_loop(
    schedule: cron::Schedule,
    shared: Arc<(DbPool, Settings, Mailer)>,
    mut stop: watch::Receiver<bool>,
) {
    while let Some(next) = schedule.upcoming(chrono::Utc).next() {
        let wait = (next - chrono::Utc::now()).to_std().unwrap_or_default();
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => break,
        }
        if let Err(e) = run_once(&shared).await {
            tracing::error!(error = %e, "follow-up job failed");
        }
    }
}

/// One scheduled run: the letter job for today, then delivery.
async fn run_once(shared: &Arc<(DbPool, Settings, Mailer)>) -> anyhow::Result<()> {
    let job = shared.clone();
    let today = chrono::Utc::now().date_naive();
    tokio::task::spawn_blocking(move || {
        let mut conn = job.0.get()?;
        super::followup::run(&mut conn, &job.1, today, false)
    })
    .await??;
    let (pool, settings, mailer) = &**shared;
    super::outbox::deliver(pool, mailer, settings, crate::models::now()).await?;
    Ok(())
}

async fn sender_loop(shared: Arc<(DbPool, Settings, Mailer)>, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(60)) => {}
            _ = stop.changed() => break,
        }
        let (pool, settings, mailer) = &*shared;
        if let Err(e) = super::outbox::deliver(pool, mailer, settings, crate::models::now()).await {
            tracing::error!(error = %e, "outbox delivery failed");
        }
    }
}
