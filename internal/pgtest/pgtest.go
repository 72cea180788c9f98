// Package pgtest gives tests a fresh PostgreSQL database of their own, in
// the cluster MMD_TEST_DATABASE_URL points to (.ci/postgres starts one).
// Without it the test skips, saying so; with MMD_REQUIRE_POSTGRES=1 (as CI
// sets it) it fails. Tests import it; nothing else does.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the database/sql driver "pgx"

	"github.com/mmdbot/mmdbot/internal/skips"
)

// URL creates an empty database for t, dropped when t ends, and returns
// its URL.
func URL(t testing.TB) string {
	t.Helper()
	admin := os.Getenv("MMD_TEST_DATABASE_URL")
	if admin == "" {
		msg := "PostgreSQL is not available: MMD_TEST_DATABASE_URL is not set (eval \"$(.ci/postgres start)\" starts a throwaway cluster)"
		if os.Getenv("MMD_REQUIRE_POSTGRES") == "1" {
			t.Fatal(msg + "; MMD_REQUIRE_POSTGRES=1 requires it")
		}
		skips.Skip(t, msg)
	}
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("MMD_TEST_DATABASE_URL does not parse: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	name := "mmdbot_test_" + strings.ToLower(rand.Text()[:12])
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		db, err := sql.Open("pgx", admin)
		if err != nil {
			return
		}
		defer db.Close()
		if _, err := db.ExecContext(ctx, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name)); err != nil {
			t.Logf("drop database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}
