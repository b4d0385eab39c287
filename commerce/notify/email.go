package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// TLS modes of the SMTP notifier.
const (
	SMTPStartTLS = "starttls" // plain connection upgraded by STARTTLS (required)
	SMTPTLS      = "tls"      // implicit TLS (port 465)
	SMTPPlain    = "none"     // no TLS (a relay on loopback only)
)

// EmailOptions configure the e-mail notifier.
type EmailOptions struct {
	// Addr is the SMTP server's host:port.
	Addr string
	// TLS is SMTPStartTLS (default), SMTPTLS or SMTPPlain.
	TLS string
	// TLSConfig overrides the TLS client configuration (tests pass their
	// own root); ServerName defaults to Addr's host.
	TLSConfig *tls.Config
	// Username and Password authenticate with AUTH PLAIN when Username is set.
	Username string
	Password string
	// From is the sender address (Name <addr> or addr).
	From string
	// Timeout bounds one whole delivery (default 15s).
	Timeout time.Duration
	// Templates are the subject and body of each kind (default
	// DefaultTemplates).
	Templates Templates
	// HelloName is the name sent in EHLO (default "localhost").
	HelloName string
}

// Email sends each message as a plain-text mail over SMTP.
type Email struct {
	opt  EmailOptions
	from *mail.Address
}

// NewEmail returns the e-mail notifier.
func NewEmail(opt EmailOptions) (*Email, error) {
	if _, _, err := net.SplitHostPort(opt.Addr); err != nil {
		return nil, fmt.Errorf("notify: smtp address %q: %w", opt.Addr, err)
	}
	from, err := mail.ParseAddress(opt.From)
	if err != nil {
		return nil, fmt.Errorf("notify: smtp from %q: %w", opt.From, err)
	}
	switch opt.TLS {
	case "":
		opt.TLS = SMTPStartTLS
	case SMTPStartTLS, SMTPTLS, SMTPPlain:
	default:
		return nil, fmt.Errorf("notify: smtp tls mode %q is not starttls, tls or none", opt.TLS)
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 15 * time.Second
	}
	if opt.Templates == nil {
		opt.Templates = DefaultTemplates()
	}
	if opt.HelloName == "" {
		opt.HelloName = "localhost"
	}
	return &Email{opt: opt, from: from}, nil
}

// Name is "email".
func (e *Email) Name() string { return "email" }

// Send mails m to m.To.Email; a user without an address is ErrNoAddress.
func (e *Email) Send(ctx context.Context, m Message) error {
	if m.To.Email == "" {
		return ErrNoAddress
	}
	to, err := mail.ParseAddress(m.To.Email)
	if err != nil {
		return permanent("e-mail address: %v", err)
	}
	subject, body, err := e.opt.Templates.Render(m)
	if err != nil {
		return permanent("e-mail template: %v", err)
	}
	msg, err := buildMail(e.from, to, subject, body, m.ID, time.Now())
	if err != nil {
		return permanent("e-mail: %v", err)
	}
	ctx, cancel := context.WithTimeout(ctx, e.opt.Timeout)
	defer cancel()
	c, err := e.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	// The deadline of ctx bounds every command; a cancel closes the
	// connection so a blocked read returns.
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if err := e.deliver(c, to.Address, msg); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("notify: smtp: %w", ctx.Err())
		}
		return smtpFailure(err)
	}
	return nil
}

func (e *Email) dial(ctx context.Context) (*smtp.Client, error) {
	host, _, _ := net.SplitHostPort(e.opt.Addr)
	tc := e.opt.TLSConfig
	if tc == nil {
		tc = &tls.Config{}
	} else {
		tc = tc.Clone()
	}
	if tc.ServerName == "" {
		tc.ServerName = host
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", e.opt.Addr)
	if err != nil {
		return nil, fmt.Errorf("notify: smtp dial: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	var c *smtp.Client
	switch e.opt.TLS {
	case SMTPTLS:
		c = smtp.NewClient(tls.Client(conn, tc))
	case SMTPStartTLS:
		if c, err = smtp.NewClientStartTLS(conn, tc); err != nil {
			conn.Close()
			return nil, fmt.Errorf("notify: smtp starttls: %w", err)
		}
	default:
		c = smtp.NewClient(conn)
	}
	if err := c.Hello(e.opt.HelloName); err != nil {
		c.Close()
		return nil, fmt.Errorf("notify: smtp hello: %w", err)
	}
	return c, nil
}

func (e *Email) deliver(c *smtp.Client, to string, msg []byte) error {
	if e.opt.Username != "" {
		if err := c.Auth(sasl.NewPlainClient("", e.opt.Username, e.opt.Password)); err != nil {
			return fmt.Errorf("auth: %w", err)
		}
	}
	if err := c.SendMail(e.from.Address, []string{to}, bytes.NewReader(msg)); err != nil {
		return err
	}
	c.Quit()
	return nil
}

// smtpFailure classifies an SMTP error: 5xx replies are permanent, 4xx and
// connection errors are retried.
func smtpFailure(err error) error {
	var se *smtp.SMTPError
	if errors.As(err, &se) && se.Code >= 500 {
		return permanent("smtp: %v", err)
	}
	return fmt.Errorf("notify: smtp: %w", err)
}

// buildMail writes an RFC 5322 message: UTF-8 subject (RFC 2047), a
// quoted-printable UTF-8 text body and a Message-ID derived from the
// idempotency id, so a mail store can spot a resend.
func buildMail(from, to *mail.Address, subject, body, id string, now time.Time) ([]byte, error) {
	if strings.ContainsAny(subject, "\r\n") {
		return nil, errors.New("subject has a line break")
	}
	if strings.ContainsAny(id, "\r\n<>@ ") || id == "" {
		return nil, errors.New("message id is not a plain token")
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\n", from.String())
	fmt.Fprintf(&b, "To: %s\r\n", to.String())
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", subject))
	fmt.Fprintf(&b, "Date: %s\r\n", now.UTC().Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <%s@livesell>\r\n", id)
	fmt.Fprintf(&b, "X-Livesell-Id: %s\r\n", id)
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(strings.ReplaceAll(body, "\n", "\r\n"))); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	b.WriteString("\r\n")
	return b.Bytes(), nil
}
