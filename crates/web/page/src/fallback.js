// The view shown instead of the terminal while none can be had: why, and the read model's
// figures from `GET summary` (crates/web/src/page.rs), polled. All text goes in by textContent.

const POLL_EVERY_MS = 2_000;
const SUMMARY_WAIT_MS = 5_000;

const STATS = [
  ['totalJobs', 'total'],
  ['pendingJobs', 'pending'],
  ['validatedJobs', 'validated'],
  ['executingJobs', 'executing'],
  ['completedJobs', 'completed'],
  ['failedJobs', 'failed'],
  ['cancelledJobs', 'cancelled'],
];

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function row(...cells) {
  const tr = element('tr');
  tr.append(...cells);
  return tr;
}

function statRow(label, value, key) {
  const cell = element('td', value ?? '—', 'number');
  cell.dataset.stat = key;
  return row(element('th', label), cell);
}

export class Fallback {
  constructor(document) {
    this.root = document.getElementById('fallback');
    this.reason = document.getElementById('fallback-reason');
    this.readModel = document.getElementById('fallback-read-model');
    this.stats = document.getElementById('fallback-stats');
    this.alerts = document.getElementById('fallback-alerts');
    this.jobs = document.querySelector('#fallback-jobs tbody');
    this.updated = document.getElementById('fallback-updated');
    this.pollTimer = null;
    this.round = 0;
  }

  show(reason) {
    this.reason.textContent = `live terminal unavailable: ${reason}; retrying`;
    if (!this.root.hidden) return;
    this.root.hidden = false;
    this.round += 1;
    this.poll(this.round);
  }

  hide() {
    this.root.hidden = true;
    clearTimeout(this.pollTimer);
  }

  // One request at a time, the next one scheduled when it has ended; `round` tells a poll of
  // an earlier showing (still in flight when the view was hidden) to stop.
  async poll(round) {
    try {
      const response = await fetch('summary', {
        credentials: 'same-origin',
        cache: 'no-store',
        signal: AbortSignal.timeout(SUMMARY_WAIT_MS),
      });
      if (!response.ok) throw new Error(`the server answered ${response.status}`);
      const summary = await response.json();
      if (round !== this.round) return;
      this.render(summary);
      this.updated.textContent = `updated ${new Date().toLocaleTimeString()}`;
    } catch (error) {
      if (round !== this.round) return;
      this.updated.textContent = `summary unavailable: ${error.message}`;
    }
    if (round === this.round && !this.root.hidden) {
      this.pollTimer = setTimeout(() => this.poll(round), POLL_EVERY_MS);
    }
  }

  render({ readModel, stats, recentJobs, alerts }) {
    this.readModel.textContent = readModel?.reachable
      ? 'read model: reachable'
      : `read model: unreachable (${readModel?.error ?? 'no answer'})`;
    this.readModel.className = readModel?.reachable ? 'ok' : 'bad';
    this.renderStats(stats);
    this.renderJobs(recentJobs);
    this.renderAlerts(alerts);
  }

  renderStats(stats) {
    if (!stats) {
      this.stats.replaceChildren(row(element('td', 'statistics not available', 'muted')));
      return;
    }
    const rows = STATS.map(([key, label]) => statRow(label, stats[key], key));
    const conservation = stats.conservation;
    if (conservation) {
      const holds = conservation.holds ? 'holds' : 'BROKEN';
      const text = `${conservation.accepted} accepted, ${conservation.accounted} accounted (${holds})`;
      rows.push(statRow('conservation', text, 'conservation'));
    }
    rows.push(statRow('last event', stats.lastEventTime ?? 'none yet', 'lastEventTime'));
    this.stats.replaceChildren(...rows);
  }

  renderJobs(jobs) {
    if (!Array.isArray(jobs)) {
      this.jobs.replaceChildren(row(element('td', 'jobs not available', 'muted')));
      return;
    }
    if (jobs.length === 0) {
      this.jobs.replaceChildren(row(element('td', 'no jobs yet', 'muted')));
      return;
    }
    this.jobs.replaceChildren(...jobs.map((job) => row(
      element('td', job.id), element('td', job.type), element('td', job.status),
      element('td', job.createdAt),
    )));
  }

  renderAlerts(alerts) {
    if (!Array.isArray(alerts)) {
      this.alerts.replaceChildren(element('li', 'alerts not available', 'muted'));
      return;
    }
    if (alerts.length === 0) {
      this.alerts.replaceChildren(element('li', 'no active alerts', 'ok'));
      return;
    }
    this.alerts.replaceChildren(...alerts.map((alert) => {
      const item = element('li');
      const severity = element('span', `[${alert.severity}] `, alert.severity === 'critical' ? 'bad' : '');
      item.append(severity, element('strong', alert.name), ` ${alert.summary ?? ''}`);
      return item;
    }));
  }
}
