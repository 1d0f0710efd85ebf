package media

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

const pngDataURL = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVQI12P4z8AAAAMBAQAY3Y2wAAAAAElFTkSuQmCC"

func TestDataURLs(t *testing.T) {
	f := New(Options{MaxBytes: 100})
	mt, b64, err := f.Inline(context.Background(), pngDataURL)
	if err != nil || mt != "image/png" || !strings.HasPrefix(b64, "iVBOR") {
		t.Fatalf("Inline = %q %q %v", mt, b64, err)
	}
	m, err := f.Load(context.Background(), pngDataURL)
	if err != nil || len(m.Data) != 69 || m.MIMEType != "image/png" {
		t.Fatalf("Load = %d bytes %q %v", len(m.Data), m.MIMEType, err)
	}
	for _, bad := range []string{
		"data:image/png,notbase64",
		"data:;base64,AAAA",
		"data:image/png;base64,!!!",
		"data:image/png;base64," + strings.Repeat("A", 400), // 300 bytes > 100
	} {
		if _, err := f.Load(context.Background(), bad); err == nil {
			t.Errorf("%.40s: accepted", bad)
		} else if !errors.As(err, new(*Error)) {
			t.Errorf("%.40s: %T is not a *media.Error", bad, err)
		}
	}
}

func TestFetch(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/a.png":
			w.Header().Set("Content-Type", "image/png; charset=binary")
			_, _ = w.Write([]byte("\x89PNG\r\n\x1a\nrest"))
		case "/sniff":
			w.Header().Set("Content-Type", "application/octet-stream")
			_, _ = w.Write([]byte("%PDF-1.7 hello"))
		case "/big":
			_, _ = w.Write(make([]byte, 2000))
		case "/slow":
			time.Sleep(300 * time.Millisecond)
		case "/redirect":
			http.Redirect(w, r, "/a.png", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	f := New(Options{AllowPrivate: true, MaxBytes: 1000, Timeout: 100 * time.Millisecond})
	ctx := context.Background()

	m, err := f.Load(ctx, srv.URL+"/a.png")
	if err != nil || m.MIMEType != "image/png" || string(m.Data[:4]) != "\x89PNG" {
		t.Fatalf("a.png = %q %q %v", m.MIMEType, m.Data, err)
	}
	if m, err := f.Load(ctx, srv.URL+"/sniff"); err != nil || m.MIMEType != "application/pdf" {
		t.Errorf("sniffed type %q, %v", m.MIMEType, err)
	}
	if m, err := f.Load(ctx, srv.URL+"/redirect"); err != nil || m.MIMEType != "image/png" {
		t.Errorf("redirect: %q, %v", m.MIMEType, err)
	}
	for path, want := range map[string]string{
		"/big":     "larger than 1000 bytes",
		"/slow":    "no answer within",
		"/missing": "404",
	} {
		if _, err := f.Load(ctx, srv.URL+path); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", path, err, want)
		}
	}
	if _, err := f.Load(ctx, "ftp://example.com/x.png"); err == nil {
		t.Error("an ftp URL was fetched")
	}
}

func TestGuardRefusesPrivateAddresses(t *testing.T) {
	// The guard runs on every dial, redirects included, on the address
	// actually dialled (after DNS), so names that resolve to loopback are
	// refused like literal addresses.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("secret"))
	}))
	defer srv.Close()
	f := New(Options{})
	for _, u := range []string{
		srv.URL + "/x.png",
		strings.Replace(srv.URL, "127.0.0.1", "localhost", 1) + "/x.png",
		"http://[::1]:1/x.png",
		"http://169.254.169.254/latest/meta-data/",
		"http://10.0.0.1/x.png",
	} {
		_, err := f.Load(context.Background(), u)
		if !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("%s: err = %v, want ErrForbiddenAddress", u, err)
		}
	}
}

func TestPublic(t *testing.T) {
	for addr, want := range map[string]bool{
		"8.8.8.8": true, "2606:4700:4700::1111": true, "1.1.1.1": true,
		"127.0.0.1": false, "10.1.2.3": false, "172.16.0.1": false, "192.168.1.1": false,
		"169.254.169.254": false, "100.64.0.1": false, "0.0.0.0": false, "0.1.2.3": false,
		"224.0.0.1": false, "255.255.255.255": false, "::1": false, "fc00::1": false,
		"fe80::1": false, "::ffff:127.0.0.1": false, "::ffff:8.8.8.8": true, "::": false,
	} {
		if got := Public(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Public(%s) = %v, want %v", addr, got, want)
		}
	}
}
