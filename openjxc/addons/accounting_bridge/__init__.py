"""Chart of accounts, vouchers and exports to 用友/金蝶."""
