/**
 * Black–Scholes prices and greeks for the simulator's option chain (no dividends).
 * Units follow the normalized model: theta per calendar day, vega and rho per 1 point (0.01).
 */
import type { OptionRight } from '../../model/events';

export interface BsInputs {
  spot: number;
  strike: number;
  /** Time to expiry in years. */
  years: number;
  /** Annualized volatility as a fraction. */
  vol: number;
  /** Risk-free rate as a fraction. */
  rate: number;
  right: OptionRight;
}

export interface BsResult {
  price: number;
  delta: number;
  gamma: number;
  theta: number;
  vega: number;
  rho: number;
}

const MIN_YEARS = 1 / (365 * 24 * 60);

export function blackScholes(input: BsInputs): BsResult {
  const { spot, strike, vol, rate, right } = input;
  const years = Math.max(input.years, MIN_YEARS);
  const sqrtT = Math.sqrt(years);
  const d1 = (Math.log(spot / strike) + (rate + (vol * vol) / 2) * years) / (vol * sqrtT);
  const d2 = d1 - vol * sqrtT;
  const discount = Math.exp(-rate * years);
  const pdf = normalPdf(d1);
  const gamma = pdf / (spot * vol * sqrtT);
  const vega = (spot * pdf * sqrtT) / 100;
  if (right === 'call') {
    const price = spot * normalCdf(d1) - strike * discount * normalCdf(d2);
    const thetaYear = (-spot * pdf * vol) / (2 * sqrtT) - rate * strike * discount * normalCdf(d2);
    return { price, delta: normalCdf(d1), gamma, theta: thetaYear / 365, vega, rho: (strike * years * discount * normalCdf(d2)) / 100 };
  }
  const price = strike * discount * normalCdf(-d2) - spot * normalCdf(-d1);
  const thetaYear = (-spot * pdf * vol) / (2 * sqrtT) + rate * strike * discount * normalCdf(-d2);
  return { price, delta: normalCdf(d1) - 1, gamma, theta: thetaYear / 365, vega, rho: (-strike * years * discount * normalCdf(-d2)) / 100 };
}

export function normalPdf(x: number): number {
  return Math.exp(-(x * x) / 2) / Math.sqrt(2 * Math.PI);
}

/** Standard normal CDF. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

function erfc(x: number): number {
  // Numerical Recipes erfcc (Chebyshev), fractional error < 1.2e-7 — ample for a simulator.
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}
