package testenv

import "testing"

// NodeSecret is the node credential of the test clusters ClusterEnv makes.
const NodeSecret = "cluster-node-secret-0123456789abcdef01"

// ClusterEnv is the configuration every node of a multi-node test shares:
// the real PostgreSQL (a fresh schema), Redis (a fresh namespace) and NATS,
// and the cluster's secrets; extra is name, value pairs added or replaced.
func ClusterEnv(t testing.TB, extra ...string) map[string]string {
	t.Helper()
	if len(extra)%2 != 0 {
		t.Fatalf("ClusterEnv: odd extra %q", extra)
	}
	vars := map[string]string{
		"LIVESELL_DATABASE_URL":   PostgresURL(t),
		"LIVESELL_REDIS_URL":      RedisURL(),
		"LIVESELL_NATS_URL":       NATSURL(),
		"LIVESELL_NAMESPACE":      Namespace(t),
		"LIVESELL_ADMIN_TOKEN":    "cluster-admin-token-0123456789abcdef0123",
		"LIVESELL_JWT_SECRET":     "cluster-jwt-secret-0123456789abcdef",
		"LIVESELL_SANDBOX_SECRET": "cluster-sandbox-secret-0123456789",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		vars[extra[i]] = extra[i+1]
	}
	return vars
}
