package webui

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
)

// signInCookie holds the sign-in form's CSRF token (double submit): there
// is no session yet to hold it.
const signInCookie = "sy_signin"

// signInData is the sign-in page.
type signInData struct {
	Next  string
	Error string
	Token string // the sign-in form's CSRF token
}

// GET /signin: the sign-in form.
func (u *UI) signInPage(w http.ResponseWriter, r *http.Request, s *session) error {
	return u.renderSignIn(w, r, s, http.StatusOK, "")
}

func (u *UI) renderSignIn(w http.ResponseWriter, r *http.Request, s *session, status int, msg string) error {
	token := ""
	if c, err := r.Cookie(signInCookie); err == nil && len(c.Value) >= 32 {
		token = c.Value
	} else {
		token = randomToken()
		http.SetCookie(w, &http.Cookie{Name: signInCookie, Value: token, Path: "/signin", HttpOnly: true,
			Secure: u.secureFor(r), SameSite: http.SameSiteStrictMode, MaxAge: 3600})
	}
	next := r.URL.Query().Get("next")
	if r.Method == http.MethodPost {
		next = r.PostFormValue("next")
	}
	u.render(w, r, s, status, "signin", view{Title: "Sign in", Active: "signin",
		Data: signInData{Next: safeNext(next), Error: msg, Token: token}})
	return nil
}

// POST /signin: validates the key with the API (GET /api/v1/key) and
// starts a session holding it.
func (u *UI) signIn(w http.ResponseWriter, r *http.Request, s *session) error {
	if crossSite(r) {
		return &pageError{Status: http.StatusForbidden, Message: "Cross-site requests are refused."}
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	c, err := r.Cookie(signInCookie)
	token := r.PostFormValue("csrf")
	if err != nil || token == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(token)) != 1 {
		return &pageError{Status: http.StatusForbidden,
			Message: "The form's security token is missing or stale: reload the sign-in page and try again."}
	}
	key := strings.TrimSpace(r.PostFormValue("key"))
	if key == "" {
		return u.renderSignIn(w, r, s, http.StatusBadRequest, "Enter an API key or a management key.")
	}
	var out struct {
		Data struct {
			Label           string `json:"label"`
			IsManagementKey bool   `json:"is_management_key"`
		} `json:"data"`
	}
	err = u.get(r, &session{key: key}, "/api/v1/key", &out)
	var ae *apiError
	switch {
	case errors.As(err, &ae) && ae.Status == http.StatusUnauthorized:
		return u.renderSignIn(w, r, s, http.StatusUnauthorized, "That key was refused: "+ae.Message+".")
	case err != nil:
		return err
	}
	if s != nil {
		u.sessions.remove(s.id)
	}
	ns := u.sessions.create(key, out.Data.Label, out.Data.IsManagementKey)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: ns.id, Path: "/", HttpOnly: true, Secure: u.secureFor(r),
		SameSite: http.SameSiteLaxMode, MaxAge: int(sessionTTL.Seconds())})
	http.SetCookie(w, &http.Cookie{Name: signInCookie, Value: "", Path: "/signin", MaxAge: -1, HttpOnly: true,
		Secure: u.secureFor(r), SameSite: http.SameSiteStrictMode})
	return redirectBack(w, r, safeNext(r.PostFormValue("next")))
}

// POST /signout: ends the session.
func (u *UI) signOut(w http.ResponseWriter, r *http.Request, s *session) error {
	u.sessions.remove(s.id)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: u.secureFor(r), SameSite: http.SameSiteLaxMode})
	return redirectBack(w, r, "/")
}

// secureFor reports whether cookies set in reply to r must be Secure: when
// configured, or when r came over TLS, directly or through a proxy that
// says so (X-Forwarded-Proto: https).
func (u *UI) secureFor(r *http.Request) bool {
	return u.secure || r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}
