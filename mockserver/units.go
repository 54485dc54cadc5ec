package mockserver

import "math"

// Unit conversions used to keep every figure on a page consistent with the
// others, the way a real decoder derives them from one METAR.

func fahrenheit(c float64) float64 { return c*9/5 + 32 }

// knotsToMPH converts knots to statute miles per hour.
func knotsToMPH(kt int) int { return int(math.Round(float64(kt) * 1.150779)) }

// hPaToInHg converts hectopascals to inches of mercury.
func hPaToInHg(hpa int) float64 { return float64(hpa) * 0.0295300 }

// relativeHumidity derives relative humidity (per cent) from the temperature
// and dew point in Celsius, with the Magnus formula.
func relativeHumidity(tempC, dewC float64) int {
	const b, c = 17.625, 243.04
	rh := 100 * math.Exp(b*dewC/(c+dewC)) / math.Exp(b*tempC/(c+tempC))
	return int(math.Round(rh))
}

// windChillF is the US National Weather Service wind chill (2001 formula),
// defined for temperatures at or below 50 F and winds of at least 3 mph.
func windChillF(tempF float64, mph int) float64 {
	v := math.Pow(float64(mph), 0.16)
	return 35.74 + 0.6215*tempF - 35.75*v + 0.4275*tempF*v
}

// heatIndexF is the Rothfusz regression the NWS uses for 80 F and above.
func heatIndexF(t float64, rh int) float64 {
	r := float64(rh)
	return -42.379 + 2.04901523*t + 10.14333127*r - 0.22475541*t*r -
		6.83783e-3*t*t - 5.481717e-2*r*r + 1.22874e-3*t*t*r +
		8.5282e-4*t*r*r - 1.99e-6*t*t*r*r
}

// roundTo rounds x to the given number of decimals.
func roundTo(x float64, decimals int) float64 {
	p := math.Pow10(decimals)
	r := math.Round(x*p) / p
	if r == 0 {
		return 0 // never "-0.0 C" on a page
	}
	return r
}
