// Package stock keeps live-goods stock in Redis and changes it only through
// Lua scripts, so that a reservation checks stock, the per-user limit and the
// order's idempotency in one atomic step and one round trip. Each order's
// reservation has a state in Redis (reserved, confirmed, released), which
// makes confirm and release exactly-once however often they are called.
//
// Every key of one product shares the hash tag {<ns>:p:<product>}, so the
// scripts run unchanged on Redis Cluster. Scripts are loaded once (SCRIPT
// LOAD) and called by SHA, reloaded if the server answers NOSCRIPT.
package stock

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Sentinel errors, checked with errors.Is.
var (
	// ErrNotLoaded means Redis holds no stock for the product yet; Load it
	// from the SQL truth.
	ErrNotLoaded = errors.New("stock: product stock not loaded")
	// ErrBelowHeld means a new total is smaller than what orders hold.
	ErrBelowHeld = errors.New("stock: total below units held by orders")
)

// Code is a script's answer.
type Code int8

// Script answers. Each script documents which it uses.
const (
	Held      Code = -3 // the unpaid-hold cap of the user or address is reached
	NotLoaded Code = -2 // no stock (or no reservation) in Redis
	Limit     Code = -1 // per-user limit reached / total below held
	No        Code = 0  // sold out / not allowed
	Done      Code = 1  // the change was made
	Already   Code = 2  // the change had been made before: nothing changed
)

func (c Code) String() string {
	switch c {
	case Held:
		return "held"
	case NotLoaded:
		return "not_loaded"
	case Limit:
		return "limit"
	case No:
		return "no"
	case Done:
		return "done"
	case Already:
		return "already"
	}
	return "code(" + strconv.Itoa(int(c)) + ")"
}

// Result is a script's answer and the units left for sale afterwards.
type Result struct {
	Code  Code
	Avail int64
}

func decode(v int64) Result {
	return Result{Code: Code(v%16 - 8), Avail: v / 16}
}

// State is an order's reservation state in Redis.
type State byte

// Reservation states.
const (
	StateNone      State = 0   // no reservation
	StateReserved  State = 'R' // holds stock, unpaid
	StateConfirmed State = 'C' // holds stock, paid
	StateReleased  State = 'X' // stock returned
)

// keyspace is what the stock types share: the client, one namespace's
// keys and the loaded scripts.
type keyspace struct {
	rdb redis.UniversalClient
	ns  string

	reserve, confirm, release, reinstate, setTotal, load, forget, cart, setSKU script

	keys sync.Map // product → *[6]string
}

// Store reaches the stock scripts for one namespace. Its own methods are
// what an order does to stock (reserve, confirm, release, reinstate) and
// what a buyer reads of it; Admin sets and loads stock, Ledger walks the
// reservation records for the sweeper and reconcile. All three share one
// keyspace.
type Store struct {
	*keyspace
	// Admin sets totals and loads stock from the SQL truth.
	Admin *Admin
	// Ledger lists and trims reservation records (sweeper, reconcile).
	Ledger *Ledger
}

// Admin changes a product's stock levels: totals, variant totals, loading
// from SQL and forgetting a product.
type Admin struct{ *keyspace }

// Ledger reads and trims the reservation records: states, stale and late
// reservations, released ones finished for good.
type Ledger struct{ *keyspace }

// New loads the scripts into rdb and returns a Store for namespace ns.
func New(ctx context.Context, rdb redis.UniversalClient, ns string) (*Store, error) {
	k := &keyspace{rdb: rdb, ns: ns,
		reserve: script{src: reserveLua}, confirm: script{src: confirmLua}, release: script{src: releaseLua},
		reinstate: script{src: reinstateLua}, setTotal: script{src: setTotalLua}, load: script{src: loadLua}, forget: script{src: forgetLua},
		cart: script{src: cartLua}, setSKU: script{src: setSKULua},
	}
	for _, sc := range []*script{&k.reserve, &k.confirm, &k.release, &k.reinstate, &k.setTotal, &k.load, &k.forget, &k.cart, &k.setSKU} {
		if err := sc.loadInto(ctx, rdb); err != nil {
			return nil, err
		}
	}
	return &Store{keyspace: k, Admin: &Admin{k}, Ledger: &Ledger{k}}, nil
}

// Keys are the Redis keys of product (for tests and operators).
func (s *Store) Keys(product string) [6]string { return *s.keysOf(product) }

func (s *keyspace) keysOf(product string) *[6]string {
	if k, ok := s.keys.Load(product); ok {
		return k.(*[6]string)
	}
	tag := "{" + s.ns + ":p:" + product + "}"
	k := &[6]string{tag + ":st", tag + ":u", tag + ":r", tag + ":pend", tag + ":unp", tag + ":late"}
	actual, _ := s.keys.LoadOrStore(product, k)
	return actual.(*[6]string)
}

// Hold bounds one reservation: Limit is the product's per-user purchase
// limit (reserved and paid units); UnpaidPerUser and UnpaidPerAddr cap the
// units held unpaid by one user and from one address Addr (0 or "" = no cap).
type Hold struct {
	Limit         int
	UnpaidPerUser int
	UnpaidPerAddr int
	Addr          string
}

// Reserve atomically takes qty units of product for order of user, unless
// the order already holds a reservation (Already), stock is short (No) or
// the user would exceed limit (Limit; limit 0 means none).
func (s *Store) Reserve(ctx context.Context, product, order, user string, qty, limit int, now time.Time) (Result, error) {
	return s.ReserveHold(ctx, product, order, user, qty, Hold{Limit: limit}, now)
}

// ReserveHold is Reserve with the unpaid-hold caps of h: Held when the
// user's or the address's unpaid units would exceed them.
func (s *Store) ReserveHold(ctx context.Context, product, order, user string, qty int, h Hold, now time.Time) (Result, error) {
	k := s.keysOf(product)
	return s.reserve.run(ctx, s.rdb, k[:], h.args(order, user, qty, now)...)
}

func (h Hold) args(order, user string, qty int, now time.Time) []any {
	return []any{order, user, qty, h.Limit, now.UnixMilli(), h.UnpaidPerUser, h.UnpaidPerAddr, h.Addr}
}

// Confirm marks order's reservation paid: Done, Already, No (released: the
// caller must Reinstate) or NotLoaded (no reservation).
func (s *Store) Confirm(ctx context.Context, product, order string) (Result, error) {
	return s.confirm.run(ctx, s.rdb, s.keysOf(product)[:], order)
}

// Release returns order's units to stock exactly once: Done, Already, No (it
// is confirmed and paid is false) or NotLoaded (no reservation).
func (s *Store) Release(ctx context.Context, product, order string, paid bool) (Result, error) {
	flag := "0"
	if paid {
		flag = "1"
	}
	return s.release.run(ctx, s.rdb, s.keysOf(product)[:], order, flag)
}

// Reinstate takes stock again for an order whose reservation was released or
// lost, into state (StateReserved or StateConfirmed), ignoring the per-user
// limit: Done, Already (it holds stock), No (short) or NotLoaded.
func (s *Store) Reinstate(ctx context.Context, product, order, user string, qty int, state State, now time.Time) (Result, error) {
	return s.ReinstateLimited(ctx, product, order, user, qty, state, 0, now)
}

// ReinstateLimited is Reinstate that also answers Limit when taking the
// units again would put user over the per-user limit (0 = none).
func (s *Store) ReinstateLimited(ctx context.Context, product, order, user string, qty int, state State, limit int, now time.Time) (Result, error) {
	if state != StateReserved && state != StateConfirmed {
		return Result{}, fmt.Errorf("stock: reinstate into state %q", state)
	}
	return s.reinstate.run(ctx, s.rdb, s.keysOf(product)[:], order, user, qty, string(state), now.UnixMilli(), limit)
}

// Late lists orders of product whose reservation reinstate wrote as paid
// before t and that reconcile has not yet checked against SQL.
func (s *Ledger) Late(ctx context.Context, product string, before time.Time, limit int64) ([]string, error) {
	ids, err := s.rdb.ZRangeByScore(ctx, s.keysOf(product)[5], &redis.ZRangeBy{
		Min: "-inf", Max: strconv.FormatInt(before.UnixMilli(), 10), Count: limit,
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("stock: late: %w", unavailable(err))
	}
	return ids, nil
}

// Settled takes orders off product's late set (SQL agrees with Redis).
func (s *Ledger) Settled(ctx context.Context, product string, orders ...string) error {
	if len(orders) == 0 {
		return nil
	}
	args := make([]any, len(orders))
	for i, o := range orders {
		args[i] = o
	}
	if err := s.rdb.ZRem(ctx, s.keysOf(product)[5], args...).Err(); err != nil {
		return fmt.Errorf("stock: settled: %w", unavailable(err))
	}
	return nil
}

// UnpaidHeld is the units of product user holds unpaid, and those held
// unpaid from addr.
func (s *Store) UnpaidHeld(ctx context.Context, product, user, addr string) (byUser, byAddr int64, err error) {
	vals, err := s.rdb.HMGet(ctx, s.keysOf(product)[4], "u:"+user, "a:"+addr).Result()
	if err != nil {
		return 0, 0, fmt.Errorf("stock: unpaid: %w", unavailable(err))
	}
	if vals[0] != nil {
		byUser, _ = strconv.ParseInt(fmt.Sprint(vals[0]), 10, 64)
	}
	if vals[1] != nil {
		byAddr, _ = strconv.ParseInt(fmt.Sprint(vals[1]), 10, 64)
	}
	return byUser, byAddr, nil
}

// SetTotal changes product's total stock, keeping the units held by orders.
func (s *Admin) SetTotal(ctx context.Context, product string, total int64) (Result, error) {
	return setResult(s.setTotal.run(ctx, s.rdb, s.keysOf(product)[:], total))
}

// setResult turns the answer of a set-total script into its error: the
// product not loaded in Redis, or a total below the units orders hold.
func setResult(r Result, err error) (Result, error) {
	if err != nil {
		return r, err
	}
	switch r.Code {
	case NotLoaded:
		return r, ErrNotLoaded
	case Limit:
		return r, ErrBelowHeld
	}
	return r, nil
}

// Holding is an order that holds stock, for Load.
type Holding struct {
	Order string
	User  string
	Qty   int
	State State
}

// Load builds product's stock from the SQL truth (total units and the orders
// that hold some) if Redis has none; Already when it was loaded before.
func (s *Admin) Load(ctx context.Context, product string, total int64, holding []Holding, now time.Time) (Result, error) {
	return s.LoadVariants(ctx, product, total, nil, holding, now)
}

// LoadVariants is Load for a product with variants: skus holds each
// variant's total (their sum is total), and a Holding of a variant names
// its reservation Field(order, sku).
func (s *Admin) LoadVariants(ctx context.Context, product string, total int64, skus map[string]int64, holding []Holding, now time.Time) (Result, error) {
	args := make([]any, 0, 3+2*len(skus)+4*len(holding))
	args = append(args, total, now.UnixMilli(), len(skus))
	for sku, t := range skus {
		args = append(args, sku, t)
	}
	for _, h := range holding {
		args = append(args, h.Order, h.User, h.Qty, string(h.State))
	}
	return s.load.run(ctx, s.rdb, s.keysOf(product)[:], args...)
}

// Avail is the units of product left for sale; ok is false when not loaded.
func (s *Store) Avail(ctx context.Context, product string) (avail, total int64, ok bool, err error) {
	vals, err := s.rdb.HMGet(ctx, s.keysOf(product)[0], "avail", "total").Result()
	if err != nil {
		return 0, 0, false, fmt.Errorf("stock: avail: %w", unavailable(err))
	}
	if vals[0] == nil {
		return 0, 0, false, nil
	}
	avail, _ = strconv.ParseInt(fmt.Sprint(vals[0]), 10, 64)
	if vals[1] != nil {
		total, _ = strconv.ParseInt(fmt.Sprint(vals[1]), 10, 64)
	}
	return avail, total, true, nil
}

// States returns the reservation state of each order of product.
func (s *Ledger) States(ctx context.Context, product string, orders ...string) ([]State, error) {
	out := make([]State, len(orders))
	if len(orders) == 0 {
		return out, nil
	}
	vals, err := s.rdb.HMGet(ctx, s.keysOf(product)[2], orders...).Result()
	if err != nil {
		return nil, fmt.Errorf("stock: states: %w", unavailable(err))
	}
	for i, v := range vals {
		if str, ok := v.(string); ok && str != "" {
			out[i] = State(str[0])
		}
	}
	return out, nil
}

// Stale lists orders of product reserved (unpaid) before t, oldest first.
func (s *Ledger) Stale(ctx context.Context, product string, before time.Time, limit int64) ([]string, error) {
	ids, err := s.rdb.ZRangeByScore(ctx, s.keysOf(product)[3], &redis.ZRangeBy{
		Min: "-inf", Max: strconv.FormatInt(before.UnixMilli(), 10), Count: limit,
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("stock: stale: %w", unavailable(err))
	}
	return ids, nil
}

// UserHeld is the units of product user holds (reserved or paid).
func (s *Store) UserHeld(ctx context.Context, product, user string) (int64, error) {
	n, err := s.rdb.HGet(ctx, s.keysOf(product)[1], user).Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("stock: user held: %w", unavailable(err))
	}
	return n, nil
}

// Forget deletes every key of product (when the product is deleted, or in tests).
func (s *Admin) Forget(ctx context.Context, product string) error {
	k := s.keysOf(product)
	return unavailable(s.rdb.Del(ctx, k[:]...).Err())
}

// script is one Lua script called by SHA.
type script struct {
	src string
	mu  sync.RWMutex
	sha string
}

func (sc *script) loadInto(ctx context.Context, rdb redis.UniversalClient) error {
	sha, err := rdb.ScriptLoad(ctx, sc.src).Result()
	if err != nil {
		return fmt.Errorf("stock: script load: %w", unavailable(err))
	}
	sc.mu.Lock()
	sc.sha = sha
	sc.mu.Unlock()
	return nil
}

func (sc *script) run(ctx context.Context, rdb redis.UniversalClient, keys []string, args ...any) (Result, error) {
	for attempt := 0; ; attempt++ {
		sc.mu.RLock()
		sha := sc.sha
		sc.mu.RUnlock()
		v, err := rdb.EvalSha(ctx, sha, keys, args...).Int64()
		if err == nil {
			return decode(v), nil
		}
		if attempt == 0 && strings.HasPrefix(err.Error(), "NOSCRIPT") {
			if lerr := sc.loadInto(ctx, rdb); lerr != nil {
				return Result{}, lerr
			}
			continue
		}
		return Result{}, fmt.Errorf("stock: %w", unavailable(err))
	}
}

// idemKey marks an order id whose row exists, so that a request answered
// "sold out" can tell cheaply whether its Idempotency-Key named an order
// (of another product) before, without asking SQL.
func (s *keyspace) idemKey(order string) string { return s.ns + ":idem:" + order }

// Remember marks order as written, for ttl.
func (s *Store) Remember(ctx context.Context, order string, ttl time.Duration) error {
	if err := s.rdb.Set(ctx, s.idemKey(order), "1", ttl).Err(); err != nil {
		return fmt.Errorf("stock: remember: %w", unavailable(err))
	}
	return nil
}

// Remembers reports whether order was marked by Remember.
func (s *Store) Remembers(ctx context.Context, order string) (bool, error) {
	n, err := s.rdb.Exists(ctx, s.idemKey(order)).Result()
	if err != nil {
		return false, fmt.Errorf("stock: remembers: %w", unavailable(err))
	}
	return n == 1, nil
}

// ReserveRemembering is Reserve plus, in the same round trip (a pipeline,
// which Redis Cluster splits by slot), whether order was marked by
// Remember: a request answered "sold out" learns at no extra cost whether
// its idempotency key named an order before.
func (s *Store) ReserveRemembering(ctx context.Context, product, order, user string, qty, limit int, now time.Time) (Result, bool, error) {
	return s.ReserveHoldRemembering(ctx, product, order, user, qty, Hold{Limit: limit}, now)
}

// ReserveHoldRemembering is ReserveRemembering with the caps of h.
func (s *Store) ReserveHoldRemembering(ctx context.Context, product, order, user string, qty int, h Hold, now time.Time) (Result, bool, error) {
	k := s.keysOf(product)
	for attempt := 0; ; attempt++ {
		s.reserve.mu.RLock()
		sha := s.reserve.sha
		s.reserve.mu.RUnlock()
		pipe := s.rdb.Pipeline()
		ev := pipe.EvalSha(ctx, sha, k[:], h.args(order, user, qty, now)...)
		ex := pipe.Exists(ctx, s.idemKey(order))
		pipe.Exec(ctx)
		v, err := ev.Int64()
		if err != nil {
			if attempt == 0 && strings.HasPrefix(err.Error(), "NOSCRIPT") {
				if lerr := s.reserve.loadInto(ctx, s.rdb); lerr != nil {
					return Result{}, false, lerr
				}
				continue
			}
			return Result{}, false, fmt.Errorf("stock: %w", unavailable(err))
		}
		n, err := ex.Result()
		if err != nil {
			return Result{}, false, fmt.Errorf("stock: remembers: %w", unavailable(err))
		}
		return decode(v), n == 1, nil
	}
}

// Released lists up to limit orders of product whose reservation is
// released (state X), starting a scan at cursor; next is 0 at the end.
func (s *Ledger) Released(ctx context.Context, product string, cursor uint64, limit int64) (orders []string, next uint64, err error) {
	kv, next, err := s.rdb.HScan(ctx, s.keysOf(product)[2], cursor, "*", limit).Result()
	if err != nil {
		return nil, 0, fmt.Errorf("stock: released: %w", unavailable(err))
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if strings.HasPrefix(kv[i+1], "X") {
			orders = append(orders, kv[i])
		}
	}
	return orders, next, nil
}

// ForgetReleased deletes the records of released reservations (state X) of orders
// that are finished for good, so that the reservation hash does not grow
// for ever; it returns how many were deleted.
func (s *Ledger) ForgetReleased(ctx context.Context, product string, orders []string) (int64, error) {
	if len(orders) == 0 {
		return 0, nil
	}
	args := make([]any, len(orders))
	for i, o := range orders {
		args[i] = o
	}
	r, err := s.forget.run(ctx, s.rdb, s.keysOf(product)[:], args...)
	return r.Avail, err
}

// ErrUnavailable means Redis could not be reached (refused, reset, timed out
// or closed): the caller may retry later. Answers of a reachable server
// (script errors, wrong types) are not this error.
var ErrUnavailable = errors.New("stock: redis unavailable")

// unavailable marks err as ErrUnavailable unless it is the server's answer.
func unavailable(err error) error {
	var re redis.Error
	if err == nil || errors.As(err, &re) || errors.Is(err, redis.Nil) || errors.Is(err, ErrUnavailable) {
		return err
	}
	return &unavailableError{err: err}
}

type unavailableError struct{ err error }

func (e *unavailableError) Error() string   { return e.err.Error() }
func (e *unavailableError) Unwrap() []error { return []error{ErrUnavailable, e.err} }
