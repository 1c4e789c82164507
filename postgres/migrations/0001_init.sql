-- digitbot schema version 1 on PostgreSQL.
--
-- Probabilities and confidences are integers in 1/10,000 (as the bbolt
-- store keeps them), so that sums are exact and removing an evaluation
-- subtracts exactly what adding it added. Ids compare bytewise (COLLATE
-- "C"): drawn ids sort by creation time.

CREATE TABLE predictions (
    id             text COLLATE "C" PRIMARY KEY,
    guild_id       text COLLATE "C" NOT NULL DEFAULT '',  -- '' in DMs
    channel_id     text NOT NULL DEFAULT '',
    message_id     text NOT NULL DEFAULT '',
    user_id        text COLLATE "C" NOT NULL,             -- the only one who may evaluate
    attachment_id  text NOT NULL DEFAULT '',
    file_name      text NOT NULL DEFAULT '',
    number         text NOT NULL DEFAULT '',
    digit          smallint NOT NULL CHECK (digit BETWEEN -1 AND 9),
    confidence     integer NOT NULL CHECK (confidence BETWEEN 0 AND 10000),
    probabilities  smallint[] NOT NULL,
    -- The 28x28 input fed to the model, 784 bytes row by row; NULL when
    -- all background (a number reading's top level).
    input          bytea CHECK (input IS NULL OR length(input) = 784),
    -- The confidences of the digit readings, left to right (a copy of
    -- prediction_digits.confidence, so that History reads one row).
    digit_confidences integer[] NOT NULL,
    digit_count    smallint NOT NULL CHECK (digit_count BETWEEN 0 AND 12),
    model_sha256   text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL,
    -- The verdict: all NULL while pending. true_number only for number
    -- readings (digit_count > 1), true_digit otherwise.
    evaluated_at   timestamptz,
    true_digit     smallint CHECK (true_digit BETWEEN 0 AND 9),
    true_number    text CHECK (true_number ~ '^[0-9]{1,12}$'),
    -- What Stats.Recent shows of the verdict: per digit verdict its
    -- confidence (1/10,000), plus 32768 when right; empty for a
    -- segmentation error.
    points         integer[],
    CONSTRAINT verdict_complete CHECK (
        (evaluated_at IS NULL AND true_digit IS NULL AND true_number IS NULL AND points IS NULL) OR
        (evaluated_at IS NOT NULL AND points IS NOT NULL AND
         ((digit_count > 1 AND true_number IS NOT NULL AND true_digit IS NULL) OR
          (digit_count <= 1 AND true_digit IS NOT NULL AND true_number IS NULL))))
);

-- Pending predictions by age, for the janitor.
CREATE INDEX predictions_pending ON predictions (created_at) WHERE evaluated_at IS NULL;
-- Evaluations by scope and time: History, Stats.Recent, ExportCSV, and
-- finding what ForgetUser and PurgeGuild delete.
CREATE INDEX predictions_evaluated ON predictions (evaluated_at, id) WHERE evaluated_at IS NOT NULL;
CREATE INDEX predictions_user ON predictions (user_id, evaluated_at, id);
CREATE INDEX predictions_guild ON predictions (guild_id, evaluated_at, id);

-- One row per digit reading of a prediction, left to right.
CREATE TABLE prediction_digits (
    prediction_id  text COLLATE "C" NOT NULL REFERENCES predictions (id) ON DELETE CASCADE,
    position       smallint NOT NULL CHECK (position BETWEEN 0 AND 11),
    digit          smallint NOT NULL CHECK (digit BETWEEN 0 AND 9),
    confidence     integer NOT NULL CHECK (confidence BETWEEN 0 AND 10000),
    probabilities  smallint[] NOT NULL,
    box            integer[] NOT NULL,
    input          bytea CHECK (input IS NULL OR length(input) = 784),
    PRIMARY KEY (prediction_id, position)
);

-- Aggregates, kept in the transaction that records or deletes an
-- evaluation. scope is 'a' (everything), 'g:' + server id or 'u:' + user
-- id. Each scope's figures are spread over 8 slots (slot = a hash of the
-- prediction id, so an evaluation is removed from the slot it was added
-- to): concurrent evaluations then seldom wait for each other's row
-- locks, and Stats sums the slots.

-- Digit verdicts by true and predicted digit.
CREATE TABLE digit_stats (
    scope       text COLLATE "C" NOT NULL,
    slot        smallint NOT NULL,
    true_digit  smallint NOT NULL CHECK (true_digit BETWEEN 0 AND 9),
    predicted   smallint NOT NULL CHECK (predicted BETWEEN 0 AND 9),
    count       bigint NOT NULL,
    confidence_sum bigint NOT NULL,  -- 1/10,000
    PRIMARY KEY (scope, slot, true_digit, predicted)
);

-- Digit verdicts by UTC day (days since 1970-01-01).
CREATE TABLE daily_stats (
    scope       text COLLATE "C" NOT NULL,
    day         integer NOT NULL,
    slot        smallint NOT NULL,
    count       bigint NOT NULL,
    hits        bigint NOT NULL,
    confidence_sum bigint NOT NULL,  -- 1/10,000
    PRIMARY KEY (scope, day, slot)
);

-- Number verdicts by the true number's length.
CREATE TABLE number_stats (
    scope       text COLLATE "C" NOT NULL,
    length      smallint NOT NULL CHECK (length BETWEEN 1 AND 12),
    slot        smallint NOT NULL,
    count       bigint NOT NULL,
    hits        bigint NOT NULL,
    segmentation_errors bigint NOT NULL,
    PRIMARY KEY (scope, length, slot)
);

CREATE TABLE guild_configs (
    guild_id          text COLLATE "C" PRIMARY KEY,
    watched_channels  text[] NOT NULL,
    threshold         double precision NOT NULL,
    updated_at        timestamptz,
    updated_by        text NOT NULL DEFAULT ''
);

-- Servers whose data must be deleted (the bot was removed while offline,
-- or a purge failed): kept until the purge succeeded.
CREATE TABLE guild_purges (
    guild_id   text COLLATE "C" PRIMARY KEY,
    queued_at  timestamptz NOT NULL
);
