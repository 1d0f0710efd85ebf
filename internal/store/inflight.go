package store

import "fmt"

// Validate reports whether in can be journaled.
func (in Inflight) Validate() error {
	if in.ID == "" || in.AccountID <= 0 || in.KeyHash == "" || in.Instance == "" || in.Held < 0 {
		return fmt.Errorf("in-flight request %q of account %d: id, account, key and instance are required and held ≥ 0: %w",
			in.ID, in.AccountID, ErrInvalid)
	}
	return nil
}
