// Package archtest holds the import rules of the module as a test
// (imports_test.go): which way the packages may depend on each other.
// It has no code of its own.
package archtest
