package health

import "sync"

// DeviceState holds a device's last observed state (DeviceOK, DeviceMissing, …). It is
// safe for concurrent use; the zero value reads DeviceUnknown.
type DeviceState struct {
	mu sync.Mutex
	s  string
}

// NewDeviceState returns a DeviceState holding initial.
func NewDeviceState(initial string) *DeviceState { return &DeviceState{s: initial} }

// Set records s as the current state.
func (d *DeviceState) Set(s string) {
	d.mu.Lock()
	d.s = s
	d.mu.Unlock()
}

// Observe records the result of using the device: DeviceOK for nil, DeviceError
// otherwise.
func (d *DeviceState) Observe(err error) {
	if err != nil {
		d.Set(DeviceError)
		return
	}
	d.Set(DeviceOK)
}

// Get returns the current state.
func (d *DeviceState) Get() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.s == "" {
		return DeviceUnknown
	}
	return d.s
}

// Shower is a display that shows values of type S (flow.Display for S = screen.Screen).
type Shower[S any] interface {
	Show(S) error
}

// Display is a Shower that records whether each Show worked in State. Wrap the display
// handed to the engine so /healthz knows whether the customer can see anything.
type Display[S any] struct {
	Shower[S]
	State *DeviceState
}

// Show shows s and records the result.
func (d Display[S]) Show(s S) error {
	err := d.Shower.Show(s)
	d.State.Observe(err)
	return err
}
