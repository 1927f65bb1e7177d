/**
 * Pagoda's allocator (work in progress: the page allocator).
 */
package dev.pagoda.alloc;
