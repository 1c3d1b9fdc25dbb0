"""Schema migrations: ordered, append-only named steps applied at start.

Never edit a step that has shipped; add a new one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.db import Database

MIGRATIONS: list[tuple[str, str]] = [
    (
        "0001_core",
        """
        CREATE TABLE supporters (
            user_id        TEXT PRIMARY KEY,
            trained_on     TEXT,
            away           INTEGER NOT NULL DEFAULT 0,
            away_until     TEXT,
            after_hours    INTEGER NOT NULL DEFAULT 0,
            expired_streak INTEGER NOT NULL DEFAULT 0,
            rotation_seq   INTEGER NOT NULL DEFAULT 0,
            added_at       TEXT NOT NULL
        );
        CREATE INDEX supporters_rotation ON supporters (rotation_seq, added_at);

        -- One row: the round-robin counter, so the rotation survives restarts.
        CREATE TABLE rotation (
            id   INTEGER PRIMARY KEY CHECK (id = 1),
            seq  INTEGER NOT NULL
        );
        INSERT INTO rotation (id, seq) VALUES (1, 0);

        CREATE TABLE peer_requests (
            id                     INTEGER PRIMARY KEY,
            requester_id           TEXT,
            area                   TEXT NOT NULL,
            urgency                TEXT NOT NULL,
            contact                TEXT NOT NULL,
            preferred_supporter_id TEXT,
            note                   TEXT,
            state                  TEXT NOT NULL,
            assignee_id            TEXT,
            created_at             TEXT NOT NULL,
            updated_at             TEXT NOT NULL,
            assigned_at            TEXT,
            closed_at              TEXT,
            minutes                INTEGER,
            referral               TEXT
        );
        CREATE INDEX peer_requests_state ON peer_requests (state);
        CREATE INDEX peer_requests_requester ON peer_requests (requester_id, state);
        CREATE INDEX peer_requests_assignee ON peer_requests (assignee_id, state);

        CREATE TABLE request_exclusions (
            request_id INTEGER NOT NULL REFERENCES peer_requests (id) ON DELETE CASCADE,
            user_id    TEXT NOT NULL,
            PRIMARY KEY (request_id, user_id)
        );

        -- A supporter is offered a given request at most once, ever: the
        -- unique key makes a second offer impossible, not merely unlikely.
        CREATE TABLE offers (
            id           INTEGER PRIMARY KEY,
            request_id   INTEGER NOT NULL REFERENCES peer_requests (id) ON DELETE CASCADE,
            supporter_id TEXT NOT NULL,
            state        TEXT NOT NULL,
            offered_at   TEXT NOT NULL,
            expires_at   TEXT NOT NULL,
            answered_at  TEXT,
            channel_id   TEXT,
            message_ts   TEXT,
            UNIQUE (request_id, supporter_id)
        );
        CREATE INDEX offers_open_deadline ON offers (state, expires_at);
        CREATE INDEX offers_supporter_state ON offers (supporter_id, state);
        """,
    ),
    (
        "0002_incidents_and_scheduled_messages",
        """
        CREATE TABLE incidents (
            id             INTEGER PRIMARY KEY,
            kind           TEXT NOT NULL,
            name           TEXT NOT NULL,
            occurred_on    TEXT NOT NULL,
            state          TEXT NOT NULL,
            offsets        TEXT NOT NULL,
            channel_id     TEXT,
            debrief_at     TEXT,
            debrief_place  TEXT,
            created_by     TEXT NOT NULL,
            created_at     TEXT NOT NULL,
            closed_at      TEXT,
            -- Answers are kept as counts, never as who said what.
            answered_ok    INTEGER NOT NULL DEFAULT 0,
            answered_talk  INTEGER NOT NULL DEFAULT 0,
            answered_stop  INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX incidents_state ON incidents (state);

        CREATE TABLE incident_members (
            incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
            user_id     TEXT NOT NULL,
            PRIMARY KEY (incident_id, user_id)
        );

        -- Every message that goes out later: check-ins, debrief invitations, follow-up
        -- reminders. The row is the truth; sending claims it (due -> sending) first.
        CREATE TABLE scheduled_messages (
            id           INTEGER PRIMARY KEY,
            kind         TEXT NOT NULL,
            recipient_id TEXT NOT NULL,
            incident_id  INTEGER REFERENCES incidents (id) ON DELETE CASCADE,
            request_id   INTEGER REFERENCES peer_requests (id) ON DELETE SET NULL,
            seq          INTEGER NOT NULL DEFAULT 0,
            due_at       TEXT NOT NULL,
            state        TEXT NOT NULL,
            attempts     INTEGER NOT NULL DEFAULT 0,
            claimed_at   TEXT,
            sent_at      TEXT,
            channel_id   TEXT,
            message_ts   TEXT,
            reason       TEXT,
            UNIQUE (kind, recipient_id, incident_id, request_id, seq)
        );
        CREATE INDEX scheduled_due ON scheduled_messages (state, due_at);
        CREATE INDEX scheduled_incident ON scheduled_messages (incident_id, state);

        ALTER TABLE peer_requests ADD COLUMN incident_id INTEGER REFERENCES incidents (id);
        """,
    ),
    (
        "0003_tracking",
        """
        -- Anonymous by construction: no requester, no request id, nothing that links to a person
        -- but the supporter, whose volunteered hours are recognised.
        CREATE TABLE contacts (
            id           INTEGER PRIMARY KEY,
            occurred_on  TEXT NOT NULL,
            minutes      INTEGER NOT NULL,
            channel      TEXT NOT NULL,
            referral     TEXT NOT NULL,
            supporter_id TEXT NOT NULL,
            incident_id  INTEGER REFERENCES incidents (id) ON DELETE SET NULL,
            recorded_at  TEXT NOT NULL
        );
        CREATE INDEX contacts_occurred ON contacts (occurred_on);
        CREATE TABLE contact_areas (
            contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
            area       TEXT NOT NULL,
            PRIMARY KEY (contact_id, area)
        );

        CREATE TABLE audit_log (
            id       INTEGER PRIMARY KEY,
            at       TEXT NOT NULL,
            actor_id TEXT NOT NULL,
            action   TEXT NOT NULL,
            detail   TEXT NOT NULL
        );
        CREATE INDEX audit_log_at ON audit_log (at);

        ALTER TABLE peer_requests ADD COLUMN escalated_at TEXT;
        ALTER TABLE peer_requests ADD COLUMN purged_at TEXT;
        CREATE INDEX peer_requests_created ON peer_requests (created_at);
        """,
    ),
    (
        "0004_scheduled_messages_unique",
        """
        -- NULLs are distinct in a UNIQUE constraint, so the one in 0002 never caught a repeated
        -- check-in (request_id is NULL there). This index does, on both backends.
        CREATE UNIQUE INDEX scheduled_messages_once ON scheduled_messages
            (kind, recipient_id, COALESCE(incident_id, 0), COALESCE(request_id, 0), seq)
        """,
    ),
    (
        "0005_anonymous_relay",
        """
        ALTER TABLE peer_requests ADD COLUMN anonymous INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE peer_requests ADD COLUMN revealed_at TEXT;

        -- An anonymous request's conversation with the supporter who accepted it: where the
        -- two threads live (one in each person's DM with the app). Never any text.
        CREATE TABLE relay_conversations (
            id                INTEGER PRIMARY KEY,
            request_id        INTEGER NOT NULL REFERENCES peer_requests (id) ON DELETE CASCADE,
            supporter_id      TEXT NOT NULL,
            supporter_label   TEXT NOT NULL,
            requester_channel TEXT,
            requester_root_ts TEXT,
            supporter_channel TEXT,
            supporter_root_ts TEXT,
            opened_at         TEXT NOT NULL,
            ended_at          TEXT,
            ended_by          TEXT,
            UNIQUE (request_id, supporter_id)
        );
        CREATE UNIQUE INDEX relay_requester_thread
            ON relay_conversations (requester_channel, requester_root_ts);
        CREATE UNIQUE INDEX relay_supporter_thread
            ON relay_conversations (supporter_channel, supporter_root_ts);

        -- Which copy stands for which original, so edits and deletions can follow it.
        -- Timestamps only: relayed text is never stored. A row with no copy_ts is a claim
        -- (the copy is being posted), so a message is never relayed twice.
        CREATE TABLE relay_messages (
            conversation_id INTEGER NOT NULL REFERENCES relay_conversations (id) ON DELETE CASCADE,
            side            TEXT NOT NULL,
            source_ts       TEXT NOT NULL,
            copy_ts         TEXT,
            PRIMARY KEY (conversation_id, side, source_ts)
        );

        -- Events API deliveries already taken (Slack redelivers what it thinks was not
        -- acknowledged); kept a day, far longer than Slack's retries.
        CREATE TABLE processed_events (
            event_id    TEXT PRIMARY KEY,
            received_at TEXT NOT NULL
        );
        CREATE INDEX processed_events_received ON processed_events (received_at);
        """,
    ),
    (
        "0006_escalation_alerts",
        """
        -- Where each coordinator's "a request is waiting" DM landed, so it can be redrawn
        -- once the request is no longer waiting.
        CREATE TABLE escalation_alerts (
            request_id INTEGER NOT NULL REFERENCES peer_requests (id) ON DELETE CASCADE,
            channel_id TEXT NOT NULL,
            message_ts TEXT NOT NULL,
            PRIMARY KEY (channel_id, message_ts)
        );
        CREATE INDEX escalation_alerts_request ON escalation_alerts (request_id)
        """,
    ),
    (
        "0007_program_roster",
        """
        -- The roster's lifecycle: trainings, suspension by a coordinator, people the bot cannot reach.
        ALTER TABLE supporters ADD COLUMN suspended INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE supporters ADD COLUMN unreachable TEXT;

        -- Every training a supporter completed. supporters.trained_on is kept equal to the latest
        -- basic course or refresher: the date their training counts from.
        CREATE TABLE trainings (
            id           INTEGER PRIMARY KEY,
            user_id      TEXT NOT NULL REFERENCES supporters (user_id) ON DELETE CASCADE,
            kind         TEXT NOT NULL,
            name         TEXT NOT NULL DEFAULT '',
            completed_on TEXT NOT NULL,
            recorded_by  TEXT NOT NULL,
            recorded_at  TEXT NOT NULL,
            UNIQUE (user_id, kind, name, completed_on)
        );
        INSERT INTO trainings (user_id, kind, completed_on, recorded_by, recorded_at)
            SELECT user_id, 'basic', trained_on, 'migration', added_at FROM supporters
            WHERE trained_on IS NOT NULL;

        -- Coordinators added in Slack, on top of PEER_COORDINATORS.
        CREATE TABLE coordinators (
            user_id  TEXT PRIMARY KEY,
            added_by TEXT NOT NULL,
            added_at TEXT NOT NULL
        );

        -- People who offered to become supporters, and what the coordinators decided.
        CREATE TABLE volunteers (
            id         INTEGER PRIMARY KEY,
            user_id    TEXT NOT NULL,
            note       TEXT,
            state      TEXT NOT NULL,
            created_at TEXT NOT NULL,
            decided_by TEXT,
            decided_at TEXT
        );
        CREATE UNIQUE INDEX volunteers_one_pending ON volunteers (user_id) WHERE state = 'pending';

        -- Where each coordinator's copy of a DM about a volunteer (or a concern) landed, so every
        -- copy is redrawn once one coordinator acts.
        CREATE TABLE coordinator_copies (
            topic          TEXT NOT NULL,
            topic_id       INTEGER NOT NULL,
            coordinator_id TEXT NOT NULL,
            channel_id     TEXT NOT NULL,
            ts             TEXT NOT NULL,
            PRIMARY KEY (topic, topic_id, coordinator_id)
        );

        -- Every scheduled message carries an idempotency key, so each is scheduled once ever. The
        -- rows already there get the key the code derives (kind, recipient, incident, request, seq):
        -- 0004's index guaranteed those are unique. That index goes: it left out the event a reminder
        -- is about, so two events' reminders to one channel would collide; the key covers it.
        ALTER TABLE scheduled_messages ADD COLUMN dedupe_key TEXT;
        UPDATE scheduled_messages SET dedupe_key = kind || ':' || recipient_id
            || ':' || COALESCE(CAST(incident_id AS TEXT), '-')
            || ':' || COALESCE(CAST(request_id AS TEXT), '-')
            || ':' || CAST(seq AS TEXT);
        CREATE UNIQUE INDEX scheduled_dedupe ON scheduled_messages (dedupe_key) WHERE dedupe_key IS NOT NULL;
        DROP INDEX scheduled_messages_once
        """,
    ),
    (
        "0008_program_events",
        """
        -- Events the program announces in a channel: trainings, speakers, gatherings.
        CREATE TABLE announcements (
            id          INTEGER PRIMARY KEY,
            title       TEXT NOT NULL,
            kind        TEXT NOT NULL,
            starts_at   TEXT NOT NULL,
            ends_at     TEXT,
            place       TEXT NOT NULL,
            description TEXT,
            channel_id  TEXT NOT NULL,
            state       TEXT NOT NULL,
            -- Bumped whenever the start moves: reminders are keyed by it, so they are scheduled anew.
            revision    INTEGER NOT NULL DEFAULT 0,
            edits       INTEGER NOT NULL DEFAULT 0,
            created_by  TEXT NOT NULL,
            created_at  TEXT NOT NULL,
            updated_at  TEXT NOT NULL
        );
        CREATE INDEX announcements_upcoming ON announcements (state, starts_at);

        CREATE TABLE rsvps (
            announcement_id INTEGER NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
            user_id         TEXT NOT NULL,
            created_at      TEXT NOT NULL,
            PRIMARY KEY (announcement_id, user_id)
        );

        -- The announcement's post and its reminders are scheduled messages to its channel.
        ALTER TABLE scheduled_messages ADD COLUMN announcement_id INTEGER REFERENCES announcements (id);
        CREATE INDEX scheduled_announcement ON scheduled_messages (announcement_id, kind, state)
        """,
    ),
    (
        "0009_program_home",
        """
        -- Who has opened the Home tab: only their Homes are redrawn when something changes.
        -- (Contacts logged from the Home go to 0003's contacts table, like /peer log.)
        CREATE TABLE home_viewers (
            user_id   TEXT PRIMARY KEY,
            opened_at TEXT NOT NULL
        )
        """,
    ),
    (
        "0010_program_concerns",
        """
        -- Someone is worried about a colleague. Who raised it is kept only if they agreed to be
        -- contacted; the colleague is never told.
        CREATE TABLE concerns (
            id           INTEGER PRIMARY KEY,
            subject_id   TEXT NOT NULL,
            raised_by    TEXT,
            note         TEXT,
            state        TEXT NOT NULL,
            handled_by   TEXT,
            supporter_id TEXT,
            created_at   TEXT NOT NULL,
            handled_at   TEXT
        );
        CREATE INDEX concerns_state ON concerns (state)
        """,
    ),
    (
        "0012_stats_indexes",
        """
        -- Statistics over a million contacts answer from indexes alone: the date travels with
        -- each area row, and one covering index serves every breakdown of contacts.
        ALTER TABLE contact_areas ADD COLUMN occurred_on TEXT;
        UPDATE contact_areas SET occurred_on =
            (SELECT c.occurred_on FROM contacts c WHERE c.id = contact_areas.contact_id);
        CREATE INDEX contact_areas_occurred ON contact_areas (occurred_on, area);
        CREATE INDEX contacts_stats ON contacts (occurred_on, referral, channel, supporter_id, minutes)
        """,
    ),
    (
        "0013_offer_send_claims",
        """
        -- An offer DM on its way: the sweep on every instance resends offers not yet delivered,
        -- and skips one another instance claimed a moment ago (so it is not sent twice at once).
        ALTER TABLE offers ADD COLUMN send_claimed_at TEXT
        """,
    ),
    (
        "0014_scheduled_subject",
        """
        -- Whom a notice is about when that is not its recipient: a coordinator's "a supporter can't
        -- get DMs" names the supporter (Slack's reason is read from the roster when it is sent).
        ALTER TABLE scheduled_messages ADD COLUMN subject_id TEXT
        """,
    ),
    (
        "0015_forgotten_rsvps",
        """
        -- Who said they were going is forgotten once an event is past the retention period; how
        -- many went is kept here.
        ALTER TABLE announcements ADD COLUMN purged_going INTEGER
        """,
    ),
    (
        "0016_offer_copies",
        """
        -- Every copy of an offer DM the app posted (a send whose answer was lost is sent again, so
        -- one offer can have several). Clicks are taken only from these, and each is redrawn; the
        -- purge forgets them. Offers recorded before this step keep their one known copy.
        CREATE TABLE offer_copies (
            offer_id INTEGER NOT NULL REFERENCES offers (id) ON DELETE CASCADE,
            channel_id TEXT NOT NULL,
            message_ts TEXT NOT NULL,
            PRIMARY KEY (offer_id, channel_id, message_ts)
        );
        INSERT INTO offer_copies (offer_id, channel_id, message_ts)
            SELECT id, channel_id, message_ts FROM offers
            WHERE channel_id IS NOT NULL AND message_ts IS NOT NULL
        """,
    ),
    (
        "0017_published_quarters",
        """
        -- Statistics count each thing in the quarter it happened in the app (a contact when it was
        -- recorded, an acceptance when it was accepted), so a published quarter never changes later.
        ALTER TABLE contact_areas ADD COLUMN recorded_at TEXT;
        UPDATE contact_areas SET recorded_at =
            (SELECT c.recorded_at FROM contacts c WHERE c.id = contact_areas.contact_id);
        CREATE INDEX contact_areas_recorded ON contact_areas (recorded_at, area);
        CREATE INDEX contacts_recorded ON contacts (recorded_at, referral, channel, supporter_id, minutes);
        -- How many people a plan had, kept when its members are forgotten: statistics leave out
        -- plans with fewer than K people. A check-in's answer counts in the quarter it was given.
        ALTER TABLE incidents ADD COLUMN people INTEGER NOT NULL DEFAULT 0;
        UPDATE incidents SET people =
            (SELECT COUNT(*) FROM incident_members m WHERE m.incident_id = incidents.id);
        ALTER TABLE scheduled_messages ADD COLUMN answered_at TEXT;
        -- When an incident's people and answers were forgotten (retention after its plan ended).
        ALTER TABLE incidents ADD COLUMN purged_at TEXT
        """,
    ),
    (
        "0018_resource_directory",
        """
        -- The office's directory of professional help, kept by coordinators (the crisis lines are
        -- not rows: they are always shown first and cannot be removed).
        CREATE TABLE resources (
            id           INTEGER PRIMARY KEY,
            name         TEXT NOT NULL,
            purpose      TEXT NOT NULL,
            phone        TEXT,
            text_line    TEXT,
            url          TEXT,
            hours        TEXT,
            cost         TEXT,
            confidential INTEGER NOT NULL DEFAULT 0,
            created_at   TEXT NOT NULL,
            updated_at   TEXT NOT NULL
        );
        CREATE UNIQUE INDEX resources_name ON resources (lower(name));
        CREATE TABLE resource_topics (
            resource_id INTEGER NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
            topic       TEXT NOT NULL,
            PRIMARY KEY (resource_id, topic)
        );
        CREATE INDEX resource_topics_topic ON resource_topics (topic, resource_id);
        -- Names PEER_RESOURCES_FILE has added once: the file adds each entry once, so an entry a
        -- coordinator edited, renamed or removed is not brought back at the next start.
        CREATE TABLE resource_seeds (
            name_key TEXT PRIMARY KEY
        )
        """,
    ),
    (
        "0019_on_call",
        """
        -- The on-call rota: who is on call for which weekly hours, in the program's time zone.
        -- days: weekday numbers (Monday 0) joined by commas; a span whose end is not after its
        -- start runs past midnight into the next day.
        CREATE TABLE on_call (
            id           INTEGER PRIMARY KEY,
            user_id      TEXT NOT NULL,
            days         TEXT NOT NULL,
            start_minute INTEGER NOT NULL,
            end_minute   INTEGER NOT NULL,
            created_by   TEXT NOT NULL,
            created_at   TEXT NOT NULL
        );
        CREATE INDEX on_call_user ON on_call (user_id)
        """,
    ),
    (
        "0020_administrators",
        """
        -- Administrators added in Slack, on top of PEER_ADMINISTRATORS: they see statistics, exports
        -- and the quarterly report, nothing else.
        CREATE TABLE administrators (
            user_id  TEXT PRIMARY KEY,
            added_by TEXT NOT NULL,
            added_at TEXT NOT NULL
        );
        -- Figures of a closed quarter that the records cannot give back later (the roster's training
        -- as the quarter ended: a supporter removed since leaves the roster), frozen the first time
        -- they are worked out, so a published quarter never changes.
        CREATE TABLE quarter_figures (
            quarter     TEXT NOT NULL,
            name        TEXT NOT NULL,
            value       INTEGER NOT NULL,
            recorded_at TEXT NOT NULL,
            PRIMARY KEY (quarter, name)
        )
        """,
    ),
    (
        "0021_supporter_profiles",
        """
        -- What a supporter publishes in the team directory (issue 17): their role and unit (which a
        -- coordinator may set too), office location and a short "about me". Slack's name and photo
        -- are shown from Slack, never stored. Languages and experience tags are rows, so routing can
        -- match them in SQL; they go with the supporter (ON DELETE CASCADE).
        ALTER TABLE supporters ADD COLUMN role TEXT;
        ALTER TABLE supporters ADD COLUMN unit TEXT;
        ALTER TABLE supporters ADD COLUMN location TEXT;
        ALTER TABLE supporters ADD COLUMN about TEXT;
        CREATE TABLE supporter_traits (
            user_id  TEXT NOT NULL REFERENCES supporters (user_id) ON DELETE CASCADE,
            kind     TEXT NOT NULL,
            value    TEXT NOT NULL,
            position INTEGER NOT NULL,
            PRIMARY KEY (user_id, kind, value)
        );
        CREATE INDEX supporter_traits_kind ON supporter_traits (kind, value)
        """,
    ),
    (
        "0022_request_preferences",
        """
        -- Who a requester would like to take their request (issue 17): a unit to stay outside of
        -- (a hard rule), a role, experience tags (newline-separated) and a language (preferences).
        -- They may say something about who asked, so the retention purge removes them.
        ALTER TABLE peer_requests ADD COLUMN avoid_unit TEXT;
        ALTER TABLE peer_requests ADD COLUMN match_role TEXT;
        ALTER TABLE peer_requests ADD COLUMN match_tags TEXT;
        ALTER TABLE peer_requests ADD COLUMN match_language TEXT
        """,
    ),
    (
        "0023_offer_roles",
        """
        -- Fairness statistics (issue 17): offers and acceptances per supporter role. An offer keeps
        -- the role its supporter had when it was made, and when it was accepted (answered_at moves
        -- on at close or hand-back), so a published quarter never changes afterwards.
        ALTER TABLE offers ADD COLUMN supporter_role TEXT;
        ALTER TABLE offers ADD COLUMN accepted_at TEXT;
        CREATE INDEX offers_offered_at ON offers (offered_at);
        CREATE INDEX offers_accepted_at ON offers (accepted_at)
        """,
    ),
    (
        "0024_follow_through",
        """
        -- Follow-through on a held request: when its holder said they had reached out, and when
        -- it goes back to the rotation if they have not (set when the offer is accepted).
        ALTER TABLE offers ADD COLUMN reached_out_at TEXT;
        ALTER TABLE offers ADD COLUMN release_at TEXT
        """,
    ),
    (
        "0025_talk_answers",
        """
        -- "Did talking help?": only counts, per calendar quarter (its first day) in which they were
        -- given and answer; nothing ties one to a requester, a supporter or a request.
        CREATE TABLE talk_answers (
            quarter TEXT NOT NULL,
            answer  TEXT NOT NULL,
            count   INTEGER NOT NULL,
            PRIMARY KEY (quarter, answer)
        )
        """,
    ),
    (
        "0026_shared_resources",
        """
        -- When the holder of a request last shared entries of the resource directory with the
        -- colleague (which entries is not kept): the close modal's referral defaults to it.
        ALTER TABLE offers ADD COLUMN resources_shared_at TEXT
        """,
    ),
    (
        "0027_checkin_step_answers",
        """
        -- An incident's check-in answers per step of its plan, as counts only: the check-in's row
        -- says it was answered, never how. Answers given before this table existed are not in it.
        CREATE TABLE checkin_step_answers (
            incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
            seq         INTEGER NOT NULL,
            answer      TEXT NOT NULL,
            count       INTEGER NOT NULL,
            PRIMARY KEY (incident_id, seq, answer)
        );
        -- Whoever said "stop these check-ins" gets none of the steps added to the plan later
        -- (forgotten with the incident's members).
        ALTER TABLE incident_members ADD COLUMN stopped INTEGER NOT NULL DEFAULT 0;
        -- A coordinator's own wording for the incident's early and later check-ins (NULL: the kind's).
        ALTER TABLE incidents ADD COLUMN wording_early TEXT;
        ALTER TABLE incidents ADD COLUMN wording_later TEXT
        """,
    ),
    (
        "0028_slack_installations",
        """
        -- Distribution mode: deployment-wide tables, not a workspace's. '' stands for "none" in the
        -- keys (an org-wide install has no team id; a workspace outside a Grid no enterprise id).
        -- Every token column holds Fernet ciphertext (PEER_ENCRYPTION_KEY), never a token.
        -- Each installer's latest installation of a workspace (their user token, if any).
        CREATE TABLE slack_installations (
            enterprise_id         TEXT NOT NULL,
            team_id               TEXT NOT NULL,
            user_id               TEXT NOT NULL,
            is_enterprise_install INTEGER NOT NULL,
            app_id                TEXT,
            enterprise_name       TEXT,
            enterprise_url        TEXT,
            team_name             TEXT,
            bot_id                TEXT,
            bot_user_id           TEXT,
            bot_scopes            TEXT NOT NULL,
            bot_token             TEXT,
            bot_refresh_token     TEXT,
            bot_token_expires_at  TEXT,
            user_scopes           TEXT NOT NULL,
            user_token            TEXT,
            user_refresh_token    TEXT,
            user_token_expires_at TEXT,
            token_type            TEXT,
            installed_at          TEXT NOT NULL,
            PRIMARY KEY (enterprise_id, team_id, user_id)
        );
        -- The workspace's latest bot: the token every request and every background send uses.
        CREATE TABLE slack_bots (
            enterprise_id         TEXT NOT NULL,
            team_id               TEXT NOT NULL,
            is_enterprise_install INTEGER NOT NULL,
            app_id                TEXT,
            enterprise_name       TEXT,
            enterprise_url        TEXT,
            team_name             TEXT,
            bot_id                TEXT,
            bot_user_id           TEXT,
            bot_scopes            TEXT NOT NULL,
            bot_token             TEXT NOT NULL,
            bot_refresh_token     TEXT,
            bot_token_expires_at  TEXT,
            installed_at          TEXT NOT NULL,
            -- When an instance took on refreshing this token (a refresh token is good once: the
            -- others wait for the new one instead of spending it again).
            refresh_claimed_at    TEXT,
            PRIMARY KEY (enterprise_id, team_id)
        );
        -- OAuth states handed out by /slack/install: each consumed once, before it expires.
        CREATE TABLE oauth_states (
            state      TEXT PRIMARY KEY,
            expires_at TEXT NOT NULL
        );
        -- Workspaces that uninstalled the app: their data is forgotten at forget_at, once (claimed_at
        -- marks the sweep that does it), unless they reinstall first.
        CREATE TABLE workspace_departures (
            enterprise_id TEXT NOT NULL,
            team_id       TEXT NOT NULL,
            left_at       TEXT NOT NULL,
            forget_at     TEXT NOT NULL,
            claimed_at    TEXT,
            PRIMARY KEY (enterprise_id, team_id)
        )
        """,
    ),
    (
        "0029_office_settings",
        """
        -- An office's own value of a setting whose default is the environment's (PEER_TIMEZONE,
        -- PEER_SERVICE_HOURS, ...), as the variable would hold it; read when its services are built.
        CREATE TABLE office_settings (
            name       TEXT PRIMARY KEY,
            value      TEXT NOT NULL,
            changed_by TEXT NOT NULL,
            changed_at TEXT NOT NULL
        )
        """,
    ),
    (
        "0030_handoffs",
        """
        -- Work the web process hands to the worker after an ack (python -m bot web / worker): a
        -- kind and ids only (JSON), never a note or a name. The worker claims a row (due ->
        -- claimed, a conditional update), does the work and deletes the row; a claim whose worker
        -- died is taken again once it is older than the lease (the work is idempotent).
        CREATE TABLE handoffs (
            id          INTEGER PRIMARY KEY,
            kind        TEXT NOT NULL,
            args        TEXT NOT NULL,
            state       TEXT NOT NULL DEFAULT 'due',
            claimed_at  TEXT,
            created_at  TEXT NOT NULL
        );
        CREATE INDEX handoffs_by_state ON handoffs (state, id)
        """,
    ),
    (
        "0031_association_sharing",
        """
        -- Whether the office shares its published statistics with the association (the sums across
        -- offices), as every change of it: a quarter counts the office if it shared as the quarter
        -- closed, so switching later never changes figures already published.
        CREATE TABLE association_sharing (
            id         INTEGER PRIMARY KEY,
            shared     INTEGER NOT NULL,
            changed_at TEXT NOT NULL
        )
        """,
    ),
    (
        # The deployment's (in single-workspace mode, the one database's): see _DEPLOYMENT below.
        "0032_association_quarters",
        """
        -- The association's figures of each closed quarter as first shown (sums across offices, see
        -- bot/association.py), kept so that they never change afterwards: the number of offices
        -- summed, and the figures as JSON (NULL: fewer offices than the minimum shared, none shown).
        CREATE TABLE association_quarters (
            quarter   TEXT PRIMARY KEY,
            offices   INTEGER NOT NULL,
            figures   TEXT,
            frozen_at TEXT NOT NULL
        )
        """,
    ),
    (
        "0033_scheduled_announcement_partial",
        """
        -- Only an announcement's post and reminders have an announcement_id: the index leaves every
        -- other row out (each of an incident's thousands of check-ins updated it for nothing). A
        -- query naming an announcement (announcement_id = ?) still uses it, on both databases.
        DROP INDEX scheduled_announcement;
        CREATE INDEX scheduled_announcement ON scheduled_messages (announcement_id, kind, state)
            WHERE announcement_id IS NOT NULL
        """,
    ),
    (
        # PostgreSQL only (see POSTGRESQL_ONLY): SQLite cannot drop a table's constraints without
        # rebuilding the table, and there the work is inside the app's own (worker) process.
        "0034_scheduled_messages_lighter_rows",
        """
        -- Storing an incident's check-ins is the heaviest write an office makes (six rows a person:
        -- 12,000 for 2,000 people), and on a shared server every other office's /peer waits for the
        -- cores it takes. Two things each row cost the server did nothing:
        -- 0002's UNIQUE never fires: every row has a NULL incident_id or request_id, and NULLs are
        -- distinct (0007's dedupe key is what makes scheduling idempotent), yet each row updated
        -- its five-column index.
        -- The check of incident_id against incidents ran a query (and locked the incident's row)
        -- for each row. Incidents are never deleted (forgetting one clears its people and answers,
        -- not its row), so its ON DELETE CASCADE never ran either, and every check-in is scheduled
        -- from an incident read first. SQLite keeps both, so the suite there still fails a row
        -- scheduled for an incident that does not exist.
        -- Together about a third of the server's time per stored row (bench/README.md).
        ALTER TABLE scheduled_messages
            DROP CONSTRAINT scheduled_messages_kind_recipient_id_incident_id_request_id_key;
        ALTER TABLE scheduled_messages DROP CONSTRAINT scheduled_messages_incident_id_fkey
        """,
    ),
    (
        "0035_checkin_steps_stored_as_they_come",
        """
        -- An incident's check-ins were all stored when it was prepared: six rows a person, 12,000
        -- for 2,000 people in about a second, and on a shared server every other office's /peer
        -- waited for the cores it took (bench/README.md). Now preparing stores each person's first
        -- check-in, and each later step is stored shortly before it comes due (steps_stored: the
        -- plan's steps whose check-ins are all stored). What a later step needs of each person, in
        -- whose time zone it lands and whether they could be reached at all, is kept with them.
        ALTER TABLE incidents ADD COLUMN steps_stored INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE incident_members ADD COLUMN tz TEXT;
        ALTER TABLE incident_members ADD COLUMN skipped INTEGER NOT NULL DEFAULT 0;
        -- Incidents prepared before this step have every step stored (or, preparing, none yet).
        UPDATE incidents SET steps_stored = COALESCE(
            (SELECT MAX(m.seq) FROM scheduled_messages m
             WHERE m.incident_id = incidents.id AND m.kind = 'checkin'), 0);
        UPDATE incident_members SET skipped = 1 WHERE EXISTS (
            SELECT 1 FROM scheduled_messages m
            WHERE m.incident_id = incident_members.incident_id AND m.recipient_id = incident_members.user_id
              AND m.kind = 'checkin' AND m.seq = 0 AND m.state = 'skipped')
        """,
    ),
]

# In distribution mode DATABASE_URL holds only what belongs to the deployment (installations, OAuth
# state, departures: 0028; the association's figures of each quarter: 0032), and each workspace's
# data is in a database of its own, migrated with the other steps. Single-workspace mode applies
# every step to its one database, as before.
_DEPLOYMENT = frozenset({"0028_slack_installations", "0032_association_quarters"})
# Steps that SQLite records as applied without running them (their comments say why).
POSTGRESQL_ONLY = frozenset({"0034_scheduled_messages_lighter_rows"})
DEPLOYMENT_MIGRATIONS: list[tuple[str, str]] = [step for step in MIGRATIONS if step[0] in _DEPLOYMENT]
OFFICE_MIGRATIONS: list[tuple[str, str]] = [step for step in MIGRATIONS if step[0] not in _DEPLOYMENT]


async def apply_migrations(db: Database, steps: list[tuple[str, str]] | None = None) -> list[str]:
    """Apply every migration (of ``steps``, by default :data:`MIGRATIONS`) not yet recorded;
    returns the names applied.

    The same steps serve SQLite and PostgreSQL: the only dialect difference in the DDL,
    the auto-numbered primary key, is translated here; a step of :data:`POSTGRESQL_ONLY` is only
    recorded on SQLite.
    """
    async with db.migration_lock():
        async with db.transaction() as tx:
            await tx.conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations"
                " (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
        applied: list[str] = []
        for name, sql in MIGRATIONS if steps is None else steps:
            async with db.transaction() as tx:
                done = await tx.conn.execute("SELECT 1 FROM schema_migrations WHERE name = ?", (name,))
                if await done.fetchone() is not None:
                    continue
                if db.dialect == "postgresql" or name not in POSTGRESQL_ONLY:
                    for statement in _statements(sql, db.dialect):
                        await tx.conn.execute(statement)
                await tx.conn.execute(
                    "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                    (name, datetime.now(UTC).isoformat()),
                )
                applied.append(name)
    return applied


def _statements(sql: str, dialect: str) -> list[str]:
    # Migrations hold no semicolons inside literals, so a plain split is enough.
    body = "\n".join(line for line in sql.splitlines() if not line.strip().startswith("--"))
    if dialect == "postgresql":
        body = body.replace("INTEGER PRIMARY KEY", "INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")
    return [s.strip() for s in body.split(";") if s.strip()]
