/** The items whose key an earlier item already had, each paired with that first item. */
export function repeats<T>(items: readonly T[], key: (item: T) => string): [repeat: T, first: T][] {
  const first = new Map<string, T>();
  return items.flatMap((item): [T, T][] => {
    const seen = first.get(key(item));
    if (seen === undefined) {
      first.set(key(item), item);
      return [];
    }
    return [[item, seen]];
  });
}
