package zvt

// CRC16 returns the ZVT frame checksum of data: CRC-16/KERMIT (reflected CCITT polynomial
// 0x8408, initial value 0, no final XOR). The check value of "123456789" is 0x2189. The
// specification calls it "CRC-XModem", but real terminals use these parameters.
// On the wire the low byte is sent first.
func CRC16(data ...[]byte) uint16 {
	var crc uint16
	for _, d := range data {
		for _, b := range d {
			crc ^= uint16(b)
			for range 8 {
				if crc&1 != 0 {
					crc = crc>>1 ^ 0x8408
				} else {
					crc >>= 1
				}
			}
		}
	}
	return crc
}
