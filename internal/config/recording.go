package config

import "time"

// RecordingConfig configures the recordings of rooms whose record setting
// is on (issue #16).
type RecordingConfig struct {
	// Store is where recordings go: "" = <DataDir>/recordings, or an
	// S3-compatible store s3://host[:port]/bucket[/prefix]?region=R
	// (s3+http:// without TLS), reached with StoreAccessKey and StoreSecretKey.
	Store          string
	StoreAccessKey string
	StoreSecretKey string
	// Retention is how long a finished recording is kept (0 = forever).
	Retention time.Duration
	// PauseTimeout ends a recording whose publisher stayed away this long;
	// a shorter absence is a pause inside one recording.
	PauseTimeout time.Duration
}

func (c *Config) recordingSettings() []setting {
	return []setting{
		{"recording-store", envs("RECORDING_STORE"), "where recordings are kept: empty = <data-dir>/recordings, or s3://host[:port]/bucket[/prefix]?region=R (s3+http:// without TLS)", (*stringValue)(&c.Recording.Store)},
		{"recording-store-access-key", envs("RECORDING_STORE_ACCESS_KEY"), "access key of the S3-compatible recording store", (*stringValue)(&c.Recording.StoreAccessKey)},
		{"recording-store-secret-key", envs("RECORDING_STORE_SECRET_KEY"), "secret key of the S3-compatible recording store", (*stringValue)(&c.Recording.StoreSecretKey)},
		{"recording-retention", envs("RECORDING_RETENTION"), "how long a finished recording, and the chat kept for its replay, are kept before they are deleted (0 = forever)", (*durationValue)(&c.Recording.Retention)},
		{"recording-pause-timeout", envs("RECORDING_PAUSE_TIMEOUT"), "a publisher away longer than this ends the recording; a shorter absence is a gap in one recording", (*durationValue)(&c.Recording.PauseTimeout)},
	}
}
