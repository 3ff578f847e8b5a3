package display

import (
	"slices"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio/gpiotest"

	"github.com/terminald/terminald/hw/display/internal/dbitest"
	"github.com/terminald/terminald/hw/display/st7789"
)

// BenchmarkDriverDraw measures what the ST7789 driver itself costs to send one
// screen change on a port that discards: ns/op and allocs/op are the driver's CPU
// (windows, RGB565 conversion, chunks), spi-tx/op the SPI transfers it makes (on a
// board, one spidev ioctl each), bus-us/op the wire time at 40 MHz plus
// DefaultSPITransferGap per transfer. "bytes" sends Diff's byte-minimal cover,
// "gap15us" that cover coalesced as the daemon does (Options.TransferCost 75).
func BenchmarkDriverDraw(b *testing.B) {
	for name, tr := range transitions(b) {
		rects := Diff(tr[0], tr[1], 16)
		for _, mode := range []struct {
			name  string
			perTx int
		}{{"bytes", 0}, {"gap15us", 75}} {
			b.Run(name+"/"+mode.name, func(b *testing.B) {
				rs := coalesce(slices.Clone(rects), mode.perTx)
				p := &dbitest.Discard{}
				dev, err := st7789.New(p, &gpiotest.Pin{N: "DC"}, nil, nil, &st7789.Opts{Width: 240, Height: 320, Sleep: func(time.Duration) {}})
				if err != nil {
					b.Fatal(err)
				}
				tx0, bytes0 := p.Transfers, p.Bytes
				b.ReportAllocs()
				for b.Loop() {
					for _, r := range rs {
						if err := dev.Draw(r, tr[1], r.Min); err != nil {
							b.Fatal(err)
						}
					}
				}
				tx, bytes := float64(p.Transfers-tx0)/float64(b.N), float64(p.Bytes-bytes0)/float64(b.N)
				b.ReportMetric(float64(len(rs)), "windows/op")
				b.ReportMetric(tx, "spi-tx/op")
				b.ReportMetric(bytes, "spi-bytes/op")
				b.ReportMetric(bytes*8/40+tx*DefaultSPITransferGap.Seconds()*1e6, "bus-us/op")
			})
		}
	}
}
