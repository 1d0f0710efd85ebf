package simulate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/sse"
)

// requestTimeout bounds one request, stream included.
const requestTimeout = 2 * time.Minute

// Error causes other than an HTTP status, the keys of Report.Errors.
const (
	causeTransport = "transport" // no response
	causeTimeout   = "timeout"   // no complete response within requestTimeout
	causeStream    = "stream"    // a 200 stream that failed part-way
	causeInvalid   = "invalid"   // a 200 whose body is not a completion
)

// outcome is what became of one request.
type outcome struct {
	plan      *plan
	status    int    // HTTP status; 0 without a response
	cause     string // "" for success, else a key of Report.Errors
	message   string // the error's message, for the stopping errors
	cancelled bool   // ctx ended first
	latency   time.Duration
	usage     usageJSON
	cost      money.Amount
}

// usageJSON is the usage object, with OpenRouter's cost, a JSON number in
// USD, kept exact.
type usageJSON struct {
	PromptTokens     int64       `json:"prompt_tokens"`
	CompletionTokens int64       `json:"completion_tokens"`
	Cost             json.Number `json:"cost"`
}

// completionJSON is what the simulator reads of a completion or a chunk.
type completionJSON struct {
	Choices []struct {
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *usageJSON `json:"usage"`
	Error *struct {
		Message string `json:"message"`
	} `json:"error"`
}

// send sends p and reads the whole answer.
func (r *runner) send(ctx context.Context, p *plan) outcome {
	o := outcome{plan: p}
	rctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, r.base+"/chat/completions", bytes.NewReader(p.body))
	if err != nil {
		return o.fail(ctx, causeTransport, err)
	}
	req.Header.Set("Authorization", "Bearer "+r.key)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "switchyard-simulate")
	req.Header.Set("HTTP-Referer", p.app.URL)
	req.Header.Set("X-Title", p.app.Name)
	if p.app.Private {
		req.Header.Set("X-Switchyard-Private", "true")
	}
	start := time.Now()
	resp, err := r.client.Do(req)
	if err != nil {
		return o.fail(ctx, causeTransport, err)
	}
	defer resp.Body.Close()
	o.status = resp.StatusCode
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		o.cause, o.message = strconv.Itoa(resp.StatusCode), errorMessage(body)
		o.latency = time.Since(start)
		return o
	}
	if p.stream {
		err = o.readStream(resp.Body)
	} else {
		err = o.readCompletion(resp.Body)
	}
	o.latency = time.Since(start)
	if o.usage.Cost != "" {
		// A failed stream was charged for what it sent.
		cost, costErr := parseCost(o.usage.Cost.String())
		o.cost = cost
		if err == nil && costErr != nil {
			o.cause, err = causeInvalid, costErr
		}
	}
	if err != nil {
		return o.fail(ctx, o.cause, err)
	}
	return o
}

// fail records a failure of the given cause, unless ctx ending caused
// it; the request's own deadline is a timeout.
func (o outcome) fail(ctx context.Context, cause string, err error) outcome {
	switch {
	case ctx.Err() != nil:
		o.cancelled = true
	case errors.Is(err, context.DeadlineExceeded):
		o.cause = causeTimeout
	case cause == "":
		o.cause = causeTransport
	default:
		o.cause = cause
	}
	o.message = err.Error()
	return o
}

// readCompletion reads a non-streamed completion.
func (o *outcome) readCompletion(body io.Reader) error {
	var c completionJSON
	if err := json.NewDecoder(body).Decode(&c); err != nil {
		o.cause = causeInvalid
		return fmt.Errorf("reading the completion: %w", err)
	}
	if c.Usage != nil {
		o.usage = *c.Usage
	}
	if c.Error != nil {
		o.cause = causeInvalid
		return fmt.Errorf("the completion is an error: %s", c.Error.Message)
	}
	return nil
}

// readStream reads a stream to its [DONE]. An in-band error (an error
// object or finish_reason "error") fails it, as does an end without
// [DONE]; the usage of the last chunk that has one is kept either way.
func (o *outcome) readStream(body io.Reader) error {
	rd := sse.NewReader(body)
	var inBand error
	for {
		ev, err := rd.Next()
		if errors.Is(err, io.EOF) {
			o.cause = causeStream
			if inBand != nil {
				return inBand
			}
			return errors.New("the stream ended without [DONE]")
		}
		if err != nil {
			o.cause = causeStream
			return fmt.Errorf("reading the stream: %w", err)
		}
		if string(bytes.TrimSpace(ev.Data)) == "[DONE]" {
			if inBand != nil {
				o.cause = causeStream
			}
			return inBand
		}
		var c completionJSON
		if err := json.Unmarshal(ev.Data, &c); err != nil {
			o.cause = causeStream
			return fmt.Errorf("a chunk is not JSON: %w", err)
		}
		if c.Usage != nil {
			o.usage = *c.Usage
		}
		if c.Error != nil && inBand == nil {
			inBand = fmt.Errorf("the stream failed: %s", c.Error.Message)
		}
		for _, ch := range c.Choices {
			if ch.FinishReason != nil && *ch.FinishReason == "error" && inBand == nil {
				inBand = errors.New("the stream finished with an error")
			}
		}
	}
}

// errorMessage returns the message of an error body in OpenAI's or
// OpenRouter's envelope, else the body itself, shortened.
func errorMessage(body []byte) string {
	var e struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error.Message != "" {
		return e.Error.Message
	}
	s := strings.TrimSpace(string(body))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// parseCost parses usage.cost, a JSON number of USD, exactly. A cost with
// more decimals than nano-dollars (another gateway's) is rounded half away
// from zero.
func parseCost(s string) (money.Amount, error) {
	if a, err := money.ParseAmount(s); err == nil {
		return a, nil
	} else if !errors.Is(err, money.ErrRange) {
		return 0, fmt.Errorf("usage.cost %q: %w", s, err)
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return 0, fmt.Errorf("usage.cost %q is not a number", s)
	}
	r.Mul(r, new(big.Rat).SetInt64(int64(money.NanoPerUSD)))
	half := big.NewRat(1, 2)
	if r.Sign() < 0 {
		half.Neg(half)
	}
	r.Add(r, half)
	n := new(big.Int).Quo(r.Num(), r.Denom()) // truncates toward zero
	if !n.IsInt64() {
		return 0, fmt.Errorf("usage.cost %q is out of range", s)
	}
	return money.Amount(n.Int64()), nil
}
