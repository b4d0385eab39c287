// Package notifytest runs real receivers for the notifiers in tests: an
// SMTP server (github.com/emersion/go-smtp) and a webhook receiver that
// verifies each delivery's HMAC, both on loopback and stopped when the test
// ends. They count what arrived, per message id, so a test can assert that
// every reminder arrived exactly once.
package notifytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/livesell/livesell/commerce/notify"
)

// Mail is one message the SMTP server accepted.
type Mail struct {
	From, To    string
	ID          string // X-Livesell-Id
	MessageID   string
	Subject     string // decoded
	Body        string // decoded
	Raw         []byte
	ReceivedAt  time.Time
	AuthedUser  string
	ContentType string
	// TLS is true when the mail came over a TLS connection.
	TLS bool
}

// SMTPServer is an in-process SMTP server on 127.0.0.1.
type SMTPServer struct {
	Addr string
	// Username and Password are required by AUTH PLAIN when Username is set.
	Username, Password string
	// RejectRcpt, when it returns an error for a recipient, refuses it.
	RejectRcpt func(to string) error

	mu    sync.Mutex
	mails []Mail
}

// StartSMTP starts the server; it requires AUTH PLAIN as user/pass when
// user is not empty.
func StartSMTP(t testing.TB, user, pass string) *SMTPServer {
	t.Helper()
	return startSMTP(t, user, pass, nil)
}

// StartSMTPTLS starts a server that offers STARTTLS with a certificate for
// 127.0.0.1 made for the test, and returns the pool that trusts it.
func StartSMTPTLS(t testing.TB, user, pass string) (*SMTPServer, *x509.CertPool) {
	t.Helper()
	cert, pool := selfSigned(t)
	return startSMTP(t, user, pass, &tls.Config{Certificates: []tls.Certificate{cert}}), pool
}

func startSMTP(t testing.TB, user, pass string, tc *tls.Config) *SMTPServer {
	t.Helper()
	s := &SMTPServer{Username: user, Password: pass}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &session{s: s, conn: c}, nil }))
	srv.Domain = "localhost"
	srv.TLSConfig = tc
	srv.AllowInsecureAuth = tc == nil // loopback only
	srv.MaxMessageBytes = 1 << 20
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("notifytest: smtp listen: %v", err)
	}
	s.Addr = ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

// Mails returns what arrived so far.
func (s *SMTPServer) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

// Count returns how many mails arrived per X-Livesell-Id.
func (s *SMTPServer) Count() map[string]int {
	out := map[string]int{}
	for _, m := range s.Mails() {
		out[m.ID]++
	}
	return out
}

// selfSigned makes a certificate for 127.0.0.1 and a pool trusting it.
func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

type session struct {
	s          *SMTPServer
	conn       *smtp.Conn
	from, to   string
	authedUser string
}

// errBadCredentials is what real servers answer to a wrong password.
var errBadCredentials = &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "authentication credentials invalid"}

var errAuthRequired = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "authentication required"}

func (x *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (x *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != x.s.Username || password != x.s.Password {
			return errBadCredentials
		}
		x.authedUser = username
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if x.s.Username != "" && x.authedUser == "" {
		return errAuthRequired
	}
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if x.s.RejectRcpt != nil {
		if err := x.s.RejectRcpt(to); err != nil {
			return err
		}
	}
	x.to = to
	return nil
}

func (x *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	msg, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		return &smtp.SMTPError{Code: 554, Message: "not a mail: " + err.Error()}
	}
	var dec mime.WordDecoder
	subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		return &smtp.SMTPError{Code: 554, Message: "bad subject"}
	}
	var body []byte
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body, err = io.ReadAll(quotedprintable.NewReader(msg.Body))
	} else {
		body, err = io.ReadAll(msg.Body)
	}
	if err != nil {
		return &smtp.SMTPError{Code: 554, Message: "bad body"}
	}
	m := Mail{From: x.from, To: x.to, ID: msg.Header.Get("X-Livesell-Id"), MessageID: msg.Header.Get("Message-Id"),
		Subject: subject, Body: strings.ReplaceAll(string(body), "\r\n", "\n"), Raw: raw, ReceivedAt: time.Now(),
		AuthedUser: x.authedUser, ContentType: msg.Header.Get("Content-Type")}
	_, m.TLS = x.conn.TLSConnectionState()
	x.s.mu.Lock()
	x.s.mails = append(x.s.mails, m)
	x.s.mu.Unlock()
	return nil
}

func (x *session) Reset()        { x.from, x.to = "", "" }
func (x *session) Logout() error { return nil }

// Delivery is one webhook request that verified.
type Delivery struct {
	ID   string
	Body []byte
}

// WebhookReceiver is an HTTP server that verifies each delivery's signature
// (notify.VerifyWebhook) and counts deliveries per idempotency id; a
// request that does not verify is answered 401 and counted in Refused.
type WebhookReceiver struct {
	URL    string
	Secret []byte
	// Status, when set, chooses the answer of the n-th request (1-based)
	// of id; 0 means 200.
	Status func(id string, n int) int

	mu       sync.Mutex
	accepted []Delivery
	tries    map[string]int
	refused  int
}

// StartWebhook starts the receiver.
func StartWebhook(t testing.TB, secret []byte) *WebhookReceiver {
	t.Helper()
	w := &WebhookReceiver{Secret: secret, tries: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(w.serve))
	w.URL = srv.URL + "/hooks/livesell"
	t.Cleanup(srv.Close)
	return w
}

func (w *WebhookReceiver) serve(rw http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
		http.Error(rw, "bad request", http.StatusBadRequest)
		return
	}
	if err := notify.VerifyWebhook(w.Secret, r.Header.Get(notify.HeaderTimestamp), r.Header.Get(notify.HeaderSignature), body, time.Now(), 5*time.Minute); err != nil {
		w.mu.Lock()
		w.refused++
		w.mu.Unlock()
		http.Error(rw, "bad signature", http.StatusUnauthorized)
		return
	}
	id := r.Header.Get(notify.HeaderID)
	w.mu.Lock()
	w.tries[id]++
	n := w.tries[id]
	status := 0
	if w.Status != nil {
		status = w.Status(id, n)
	}
	if status == 0 || status/100 == 2 {
		w.accepted = append(w.accepted, Delivery{ID: id, Body: body})
	}
	w.mu.Unlock()
	if status == 0 {
		status = http.StatusOK
	}
	rw.WriteHeader(status)
}

// Accepted returns the deliveries answered 2xx.
func (w *WebhookReceiver) Accepted() []Delivery {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Delivery(nil), w.accepted...)
}

// Count returns accepted deliveries per idempotency id.
func (w *WebhookReceiver) Count() map[string]int {
	out := map[string]int{}
	for _, d := range w.Accepted() {
		out[d.ID]++
	}
	return out
}

// Tries is how many verified requests carried id (accepted or not).
func (w *WebhookReceiver) Tries(id string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.tries[id]
}

// Refused is how many requests failed verification.
func (w *WebhookReceiver) Refused() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.refused
}
