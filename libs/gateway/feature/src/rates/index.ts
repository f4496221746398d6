export { createExchangeRates, fiatValueText, type ExchangeRates, type ExchangeRatesOptions, type FiatValue } from './exchange-rates';
export { fetchRates, parseRatesAnswer, RATES_BODY_BYTES_MAX, RATES_CLOCK_SKEW_MS_MAX, type RatesSnapshot } from './rates.api';
export { fiatAmount, parseRate, FIAT_DECIMALS, RATE_PATTERN } from './fiat.conversion';
