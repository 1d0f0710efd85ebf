// Package media loads the images and files of a chat request for upstreams
// that only accept them inline (base64): data: URLs are decoded, http(s)
// URLs are fetched with a size limit, a timeout and a guard that refuses
// loopback, private, link-local and other non-public addresses, checked on
// the address actually dialled so that DNS tricks and redirects cannot
// reach the operator's network.
package media

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/switchyard-dev/switchyard/internal/openai"
)

// Defaults of Options.
const (
	DefaultMaxBytes = 20 << 20
	DefaultTimeout  = 15 * time.Second
	maxRedirects    = 3
)

// Media is a loaded image or file.
type Media struct {
	// MIMEType is the declared type (data: URL or Content-Type), without
	// parameters, or one sniffed from the bytes.
	MIMEType string
	Data     []byte
}

// Base64 returns the data base64-encoded (standard alphabet, padded).
func (m Media) Base64() string { return base64.StdEncoding.EncodeToString(m.Data) }

// Options configure a Fetcher.
type Options struct {
	// MaxBytes bounds a fetched or decoded body; 0 means DefaultMaxBytes.
	MaxBytes int64
	// Timeout bounds one fetch, redirects included; 0 means DefaultTimeout.
	Timeout time.Duration
	// AllowPrivate lets fetches reach loopback and private addresses. Only
	// tests (whose fake servers listen on 127.0.0.1) should set it.
	AllowPrivate bool
}

// Fetcher loads media. It is safe for concurrent use.
type Fetcher struct {
	client   *http.Client
	maxBytes int64
	timeout  time.Duration
}

// Error is a media URL the gateway could not load: the client's fault, to
// be answered with a 400 that says why.
type Error struct {
	URL string // clipped for messages
	Err error
}

func (e *Error) Error() string { return fmt.Sprintf("cannot load %s: %v", e.URL, e.Err) }
func (e *Error) Unwrap() error { return e.Err }

// ErrForbiddenAddress is the cause of an Error for a URL that resolves to a
// non-public address.
var ErrForbiddenAddress = errors.New("the address is not a public internet address")

// New returns a Fetcher.
func New(o Options) *Fetcher {
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	dialer := &net.Dialer{Timeout: o.Timeout}
	if !o.AllowPrivate {
		dialer.Control = func(network, address string, _ syscall.RawConn) error {
			return checkAddress(address)
		}
	}
	transport := &http.Transport{
		Proxy:                 nil, // a proxy would hide the address the guard must check
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   o.Timeout,
		ResponseHeaderTimeout: o.Timeout,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       30 * time.Second,
	}
	return &Fetcher{
		client: &http.Client{
			Transport: transport,
			CheckRedirect: func(req *http.Request, via []*http.Request) error {
				if len(via) >= maxRedirects {
					return fmt.Errorf("more than %d redirects", maxRedirects)
				}
				if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
					return fmt.Errorf("redirect to a %s URL", req.URL.Scheme)
				}
				return nil
			},
		},
		maxBytes: o.MaxBytes,
		timeout:  o.Timeout,
	}
}

// Default is the Fetcher of adapters configured without one.
var Default = New(Options{})

// Load returns the media of a data: URL or an http(s) URL.
func (f *Fetcher) Load(ctx context.Context, rawURL string) (Media, error) {
	if f == nil {
		f = Default
	}
	if strings.HasPrefix(rawURL, "data:") {
		m, err := ParseDataURL(rawURL, f.maxBytes)
		if err != nil {
			return Media{}, &Error{URL: "a data: URL", Err: err}
		}
		return m, nil
	}
	m, err := f.fetch(ctx, rawURL)
	if err != nil {
		return Media{}, &Error{URL: clip(rawURL), Err: err}
	}
	return m, nil
}

func (f *Fetcher) fetch(ctx context.Context, rawURL string) (Media, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Media{}, errors.New("not a data: or absolute http(s) URL")
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return Media{}, err
	}
	req.Header.Set("User-Agent", "Switchyard (+https://github.com/switchyard-dev/switchyard)")
	resp, err := f.client.Do(req)
	if err != nil {
		if errors.Is(err, ErrForbiddenAddress) {
			return Media{}, ErrForbiddenAddress
		}
		var ne net.Error
		if ctx.Err() != nil || (errors.As(err, &ne) && ne.Timeout()) {
			return Media{}, fmt.Errorf("no answer within %s", f.timeout)
		}
		return Media{}, errors.New("the request failed: " + unwrapURLError(err).Error())
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Media{}, fmt.Errorf("the server answered %s", resp.Status)
	}
	if resp.ContentLength > f.maxBytes {
		return Media{}, fmt.Errorf("it is larger than %d bytes", f.maxBytes)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, f.maxBytes+1))
	if err != nil {
		if ctx.Err() != nil {
			return Media{}, fmt.Errorf("no answer within %s", f.timeout)
		}
		return Media{}, errors.New("reading it failed: " + err.Error())
	}
	if int64(len(data)) > f.maxBytes {
		return Media{}, fmt.Errorf("it is larger than %d bytes", f.maxBytes)
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt == "" || mt == "application/octet-stream" {
		mt, _, _ = mime.ParseMediaType(http.DetectContentType(data))
	}
	return Media{MIMEType: mt, Data: data}, nil
}

// ParseDataURL decodes a base64 data: URL of at most maxBytes decoded bytes.
func ParseDataURL(s string, maxBytes int64) (Media, error) {
	mt, payload, err := splitDataURL(s, maxBytes)
	if err != nil {
		return Media{}, err
	}
	data, err := base64.StdEncoding.DecodeString(payload)
	if err != nil {
		if data, err = base64.RawStdEncoding.DecodeString(payload); err != nil {
			return Media{}, errors.New("data: URL has invalid base64")
		}
	}
	return Media{MIMEType: mt, Data: data}, nil
}

// splitDataURL returns a data: URL's media type and base64 payload,
// checked for size but not decoded.
func splitDataURL(s string, maxBytes int64) (mediaType, payload string, err error) {
	mt, payload, ok := openai.ParseDataURL(s)
	if !ok {
		return "", "", errors.New("not a base64 data: URL")
	}
	if mt, _, _ = mime.ParseMediaType(mt); mt == "" {
		return "", "", errors.New("data: URL has no media type")
	}
	if int64(base64.StdEncoding.DecodedLen(len(payload))) > maxBytes+2 {
		return "", "", fmt.Errorf("data: URL is larger than %d bytes", maxBytes)
	}
	return mt, payload, nil
}

// Inline returns the media type and base64 payload of a data: URL (passed
// through without decoding) or of a fetched http(s) URL, for upstreams that
// take images and files inline.
func (f *Fetcher) Inline(ctx context.Context, rawURL string) (mediaType, base64Data string, err error) {
	if f == nil {
		f = Default
	}
	if strings.HasPrefix(rawURL, "data:") {
		mt, payload, err := splitDataURL(rawURL, f.maxBytes)
		if err != nil {
			return "", "", &Error{URL: "a data: URL", Err: err}
		}
		return mt, payload, nil
	}
	m, err := f.Load(ctx, rawURL)
	if err != nil {
		return "", "", err
	}
	return m.MIMEType, m.Base64(), nil
}

// checkAddress refuses a dialled host:port that is not a public unicast
// address.
func checkAddress(address string) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return ErrForbiddenAddress
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !Public(ip) {
		return ErrForbiddenAddress
	}
	return nil
}

// sharedAddressSpace is 100.64.0.0/10 (carrier-grade NAT, RFC 6598), which
// netip does not count as private.
var sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10")

// Public reports whether ip is a public unicast address: not loopback,
// private (RFC 1918, fc00::/7), shared (RFC 6598), link-local (cloud
// metadata lives there), multicast or unspecified. IPv4-mapped IPv6
// addresses are judged as the IPv4 address they carry.
func Public(ip netip.Addr) bool {
	ip = ip.Unmap()
	switch {
	case !ip.IsValid(), ip.IsLoopback(), ip.IsPrivate(), ip.IsUnspecified(),
		ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast(), ip.IsInterfaceLocalMulticast(), ip.IsMulticast():
		return false
	case ip.Is4() && (sharedAddressSpace.Contains(ip) || ip.As4()[0] == 0 || ip == netip.AddrFrom4([4]byte{255, 255, 255, 255})):
		return false
	}
	return ip.IsGlobalUnicast()
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func clip(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}
