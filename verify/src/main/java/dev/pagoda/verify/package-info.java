/**
 * Reference models and kernel oracles for Pagoda's tests.
 */
package dev.pagoda.verify;
