package store

import (
	"encoding"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"
)

// Payment records are stored in a compact binary form driven by the Payment struct:
//
//	record = 0x01 field*
//	field  = key value            key = uvarint(code<<1 | wire)
//	code   = a field's number from fieldCodes (by its JSON name); 0: the JSON name
//	         follows as a length-prefixed string (a field added since, stored all the same)
//	wire 0 = uvarint: bool (1), unsigned, signed (zigzag)
//	wire 1 = uvarint length + bytes: string; time (zigzag unix nanos, zigzag zone offset
//	         in seconds); struct (its fields, the same way); map[string]string (key,
//	         value pairs of length-prefixed strings); any other type: its JSON
//
// Zero values are left out (as omitempty does). A reader skips fields it does not know,
// so records written by a newer terminald with more fields still read. Records that begin
// with '{' are the JSON of schema 2 and earlier, read as JSON.
const recordV1 = 0x01

// fieldCodes numbers the JSON names of Payment's fields (and of nested structs such as
// money.Amount). Numbers are for ever: never reuse or change one; add new names at the end.
// A field not listed is stored under its name.
var fieldCodes = map[string]uint64{
	"id": 1, "provider": 2, "amount": 3, "state": 4, "source": 5, "provider_id": 6, "qr": 7,
	"customer": 8, "detail": 9, "reason": 10, "data": 11, "expires_at": 12, "watch_until": 13,
	"created_at": 14, "updated_at": 15, "settled_at": 16, "receipt": 17, "trace": 18,
	"paid_late": 19, "unconfirmed": 20, "refunded": 21, "settled": 22, "clock_synced": 23,
	"minor": 24, "currency": 25,
}

// notStored names fields that are not part of the record.
var notStored = map[string]bool{"seq": true}

var (
	timeType      = reflect.TypeFor[time.Time]()
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
)

// marshals reports whether t brings its own JSON or text form: such a field is stored as
// its JSON, whatever its kind.
func marshals(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	return t.Implements(jsonMarshaler) || p.Implements(jsonMarshaler) || t.Implements(textMarshaler) || p.Implements(textMarshaler)
}

// jsonName is the field's name in JSON ("" when JSON leaves it out).
func jsonName(f reflect.StructField) string {
	tag := f.Tag.Get("json")
	if tag == "-" || !f.IsExported() {
		return ""
	}
	if name, _, _ := strings.Cut(tag, ","); name != "" {
		return name
	}
	return f.Name
}

// encodePayment returns p's record as stored in the pay bucket.
func encodePayment(p *Payment) ([]byte, error) {
	return appendStruct([]byte{recordV1}, reflect.ValueOf(p).Elem())
}

// decodePayment reads a record written by encodePayment, or the JSON of an older schema.
func decodePayment(data []byte, p *Payment) error {
	if len(data) > 0 && data[0] == '{' {
		if err := json.Unmarshal(data, p); err != nil {
			return err
		}
		liftControlState(p)
		return nil
	}
	if len(data) == 0 || data[0] != recordV1 {
		return errors.New("unknown record format")
	}
	*p = Payment{}
	return readStruct(data[1:], reflect.ValueOf(p).Elem())
}

func appendStruct(b []byte, v reflect.Value) ([]byte, error) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name := jsonName(f)
		fv := v.Field(i)
		if name == "" || notStored[name] || fv.IsZero() {
			continue
		}
		var err error
		if b, err = appendField(b, name, fv); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	return b, nil
}

func appendKey(b []byte, name string, wire uint64) []byte {
	code := fieldCodes[name]
	b = binary.AppendUvarint(b, code<<1|wire)
	if code == 0 {
		b = appendBytes(b, []byte(name))
	}
	return b
}

func appendBytes(b, data []byte) []byte {
	return append(binary.AppendUvarint(b, uint64(len(data))), data...)
}

func zigzag(n int64) uint64   { return uint64(n<<1) ^ uint64(n>>63) }
func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

func appendField(b []byte, name string, v reflect.Value) ([]byte, error) {
	switch {
	case v.Type() == timeType:
		tm := v.Interface().(time.Time)
		if tm.IsZero() {
			return b, nil
		}
		_, off := tm.Zone()
		inner := binary.AppendUvarint(nil, zigzag(tm.Unix()))
		inner = binary.AppendUvarint(inner, uint64(tm.Nanosecond()))
		inner = binary.AppendUvarint(inner, zigzag(int64(off)))
		return appendBytes(appendKey(b, name, 1), inner), nil
	case marshals(v.Type()):
		data, err := json.Marshal(v.Interface())
		if err != nil {
			return nil, err
		}
		return appendBytes(appendKey(b, name, 1), data), nil
	case v.Kind() == reflect.String:
		return appendBytes(appendKey(b, name, 1), []byte(v.String())), nil
	case v.Kind() == reflect.Bool:
		return binary.AppendUvarint(appendKey(b, name, 0), 1), nil
	case v.CanInt():
		return binary.AppendUvarint(appendKey(b, name, 0), zigzag(v.Int())), nil
	case v.CanUint():
		return binary.AppendUvarint(appendKey(b, name, 0), v.Uint()), nil
	case v.Kind() == reflect.Struct:
		inner, err := appendStruct(nil, v)
		if err != nil {
			return nil, err
		}
		return appendBytes(appendKey(b, name, 1), inner), nil
	case v.Kind() == reflect.Map && v.Type().Key().Kind() == reflect.String && v.Type().Elem().Kind() == reflect.String:
		keys := make([]string, 0, v.Len())
		for _, k := range v.MapKeys() {
			keys = append(keys, k.String())
		}
		slices.Sort(keys)
		var inner []byte
		for _, k := range keys {
			inner = appendBytes(inner, []byte(k))
			inner = appendBytes(inner, []byte(v.MapIndex(reflect.ValueOf(k).Convert(v.Type().Key())).String()))
		}
		return appendBytes(appendKey(b, name, 1), inner), nil
	default:
		data, err := json.Marshal(v.Interface())
		if err != nil {
			return nil, err
		}
		return appendBytes(appendKey(b, name, 1), data), nil
	}
}

var errShort = errors.New("record cut short")

func uvarint(b []byte) (uint64, []byte, error) {
	u, n := binary.Uvarint(b)
	if n <= 0 {
		return 0, nil, errShort
	}
	return u, b[n:], nil
}

func lenPrefixed(b []byte) ([]byte, []byte, error) {
	n, rest, err := uvarint(b)
	if err != nil || n > uint64(len(rest)) {
		return nil, nil, errShort
	}
	return rest[:n], rest[n:], nil
}

// fieldIndex maps the JSON names of the struct types a Payment record holds (Payment
// and the structs inside it) to their field indexes, built once: decoding looks a field
// up per key instead of parsing every field's tag again. Read only after init.
var fieldIndex = func() map[reflect.Type]map[string]int {
	m := map[reflect.Type]map[string]int{}
	var add func(t reflect.Type)
	add = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || t == timeType || m[t] != nil {
			return
		}
		idx := map[string]int{}
		m[t] = idx
		for i := range t.NumField() {
			f := t.Field(i)
			if n := jsonName(f); n != "" && !notStored[n] {
				if _, dup := idx[n]; !dup {
					idx[n] = i
				}
			}
			add(f.Type)
		}
	}
	add(reflect.TypeFor[Payment]())
	return m
}()

// fieldByName returns v's field whose JSON name is name (invalid when none).
func fieldByName(v reflect.Value, name string) reflect.Value {
	t := v.Type()
	if idx, ok := fieldIndex[t]; ok {
		if i, ok := idx[name]; ok {
			return v.Field(i)
		}
		return reflect.Value{}
	}
	for i := range t.NumField() {
		if n := jsonName(t.Field(i)); n == name && !notStored[n] {
			return v.Field(i)
		}
	}
	return reflect.Value{}
}

// codeNames maps field codes back to JSON names.
var codeNames = func() map[uint64]string {
	m := make(map[uint64]string, len(fieldCodes))
	for name, code := range fieldCodes {
		m[code] = name
	}
	return m
}()

func readStruct(b []byte, v reflect.Value) error {
	for len(b) > 0 {
		key, rest, err := uvarint(b)
		if err != nil {
			return err
		}
		b = rest
		code, wire := key>>1, key&1
		name := codeNames[code]
		if code == 0 {
			var nb []byte
			if nb, b, err = lenPrefixed(b); err != nil {
				return err
			}
			name = string(nb)
		}
		var u uint64
		var data []byte
		if wire == 0 {
			u, b, err = uvarint(b)
		} else {
			data, b, err = lenPrefixed(b)
		}
		if err != nil {
			return err
		}
		f := fieldByName(v, name)
		if !f.IsValid() || !f.CanSet() {
			continue // a field this terminald does not have
		}
		if err := setField(f, wire, u, data); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

func setField(f reflect.Value, wire, u uint64, data []byte) error {
	if wire == 0 {
		switch {
		case f.Kind() == reflect.Bool:
			f.SetBool(u != 0)
		case f.CanInt():
			f.SetInt(unzigzag(u))
		case f.CanUint():
			f.SetUint(u)
		}
		return nil // a wire type the field no longer has: left zero
	}
	switch {
	case f.Type() == timeType:
		sec, rest, err := uvarint(data)
		if err != nil {
			return err
		}
		nsec, rest, err := uvarint(rest)
		if err != nil {
			return err
		}
		off, _, err := uvarint(rest)
		if err != nil {
			return err
		}
		tm := time.Unix(unzigzag(sec), int64(nsec)).UTC()
		if o := unzigzag(off); o != 0 {
			tm = tm.In(time.FixedZone("", int(o)))
		}
		f.Set(reflect.ValueOf(tm))
	case marshals(f.Type()):
		return json.Unmarshal(data, f.Addr().Interface())
	case f.Kind() == reflect.String:
		f.SetString(string(data))
	case f.Kind() == reflect.Struct:
		return readStruct(data, f)
	case f.Kind() == reflect.Map && f.Type().Key().Kind() == reflect.String && f.Type().Elem().Kind() == reflect.String:
		m := reflect.MakeMap(f.Type())
		for len(data) > 0 {
			var k, val []byte
			var err error
			if k, data, err = lenPrefixed(data); err != nil {
				return err
			}
			if val, data, err = lenPrefixed(data); err != nil {
				return err
			}
			m.SetMapIndex(reflect.ValueOf(string(k)).Convert(f.Type().Key()), reflect.ValueOf(string(val)).Convert(f.Type().Elem()))
		}
		f.Set(m)
	default:
		return json.Unmarshal(data, f.Addr().Interface())
	}
	return nil
}
