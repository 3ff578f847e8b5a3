package store

import "encoding/json"

// encodePayment returns p's record as stored in the pay bucket.
func encodePayment(p *Payment) ([]byte, error) { return json.Marshal(p) }

// decodePayment reads a record written by encodePayment (or by an older terminald).
func decodePayment(data []byte, p *Payment) error { return json.Unmarshal(data, p) }
