"""Camera configuration shared by edge and central: zones, rules, filters, masks, URL policy."""
