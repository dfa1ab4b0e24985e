//! Handlers of the job and event routes: `/jobs/recent`, `/jobs`, `/jobs/{id}`, `/events`.
//! Every listing is newest first and an empty one is `[]`, never `null`.

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use odto_contracts::read_api::{JobDetail, JobPage, RecentJob};
use odto_contracts::{EventEnvelope, parse_canonical_uuid};
use odto_store::events::EventQuery;
use odto_store::jobs::JobQuery;

use crate::error::ReadError;
use crate::params::{self, EventParams, JobListParams, RecentParams};
use crate::routes::AppState;
use crate::views;

/// `GET /jobs/recent?limit=`: the reference's shape, `[{id, type, status, createdAt}]`.
pub async fn recent(
    State(state): State<AppState>,
    query: Result<Query<RecentParams>, QueryRejection>,
) -> Result<Json<Vec<RecentJob>>, ReadError> {
    let Query(query) = query?;
    let limit = params::limit(&query.limit, 10, 100)?;
    let page = state
        .read(state.stores.jobs.list(&JobQuery {
            limit,
            ..JobQuery::default()
        }))
        .await?;
    Ok(Json(page.items.iter().map(views::recent_job).collect()))
}

/// `GET /jobs?status=&type=&q=&limit=&cursor=`: filtered, searched, one page at a time.
pub async fn list(
    State(state): State<AppState>,
    query: Result<Query<JobListParams>, QueryRejection>,
) -> Result<Json<JobPage>, ReadError> {
    let Query(query) = query?;
    let filter = JobQuery {
        status: params::status(&query.status)?,
        job_type: params::job_type(&query.job_type)?,
        text: params::search_text(&query.q)?,
        limit: params::limit(&query.limit, 50, 500)?,
        cursor: params::cursor(&query.cursor)?,
    };
    let page = state
        .read(state.stores.jobs.list(&filter))
        .await
        .map_err(|e| e.blame_cursor(filter.cursor.is_some()))?;
    Ok(Json(views::job_page(page)))
}

/// `GET /jobs/{id}`: the job, its attempts and its event timeline.
pub async fn detail(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<JobDetail>, ReadError> {
    let raw = id.map(|Path(id)| id).unwrap_or_default();
    let id = parse_canonical_uuid(&raw).ok_or(ReadError::InvalidJobId(raw))?;
    let stores = &state.stores;
    // The three reads run together: a 404 costs two needless queries, every hit saves two waits.
    let (record, attempts, events) = tokio::try_join!(
        state.read(stores.jobs.get(id)),
        state.read(stores.jobs.attempts(id)),
        state.read(stores.events.for_job(id)),
    )?;
    let record = record.ok_or(ReadError::JobNotFound(id))?;
    Ok(Json(JobDetail {
        job: views::job_view(record),
        attempts,
        events,
    }))
}

/// `GET /events?jobId=&type=&limit=`: full envelopes, newest first.
pub async fn events(
    State(state): State<AppState>,
    query: Result<Query<EventParams>, QueryRejection>,
) -> Result<Json<Vec<EventEnvelope>>, ReadError> {
    let Query(query) = query?;
    let filter = EventQuery {
        job_id: params::job_id(&query.job_id)?,
        event_type: params::event_type(&query.event_type)?,
        limit: params::limit(&query.limit, 50, 1_000)?,
    };
    Ok(Json(state.read(state.stores.events.recent(&filter)).await?))
}
