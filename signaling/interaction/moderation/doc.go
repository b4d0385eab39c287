// Package moderation holds the abuse controls of room interaction: a text
// normalizer (case, width and compatibility folding, separators dropped), an
// Aho–Corasick keyword matcher, a blocked-word Filter that can be replaced
// at runtime, and token-bucket rate limits keyed by user or IP.
package moderation
