-- The overview screen (指挥大屏, issue 14): today's registrations and closures, and the
-- week's 高发问题 by when problems were seen, each read through an index rather than by
-- going over every case or report; and the open reports by state counted from an index
-- of the reports not removed alone, without reading the reports themselves.
CREATE INDEX reports_observed ON reports (observed_at);
CREATE INDEX cases_registered ON cases (registered_at);
CREATE INDEX cases_closed ON cases (closed_at);
CREATE INDEX reports_live_state ON reports (state) WHERE deleted_at IS NULL;
