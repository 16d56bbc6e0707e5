"""The account guard: daily loss/profit limits that act (close all, block new orders) and exposure limits."""
