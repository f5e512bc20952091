//! Allocating unrestricted gifts to projects, traced gift by gift and cent by cent:
//! a donor may ask what their gift paid for, so an allocation is never a lump sum but
//! a list of (gift, cents) shares whose total is exactly the amount staff decided.

use std::collections::HashSet;

use crate::money::Money;

/// A gift that may fund a project, with what is left of it after earlier allocations.
/// The store builds the pool: gifts matching the staff's criteria (period, campaign,
/// unrestricted only), with `unallocated_cents` = amount − sum of their allocations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Available {
    /// The gift's id in the store.
    pub gift_id: i64,
    /// When the gift was received, in Unix seconds.
    pub received_at: i64,
    /// What no allocation has taken yet; 0 is allowed and the gift is then skipped.
    pub unallocated_cents: i64,
}

/// The part of one gift an allocation takes: one row of the allocation trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Share {
    /// The gift drawn on.
    pub gift_id: i64,
    /// How much of it, always more than zero.
    pub cents: i64,
}

/// How an allocation is spread over the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Uses the oldest gifts first, whole, then the next: donors of older gifts have
    /// waited longest to hear what their money did, so they are the first to be told.
    OldestFirst,
    /// Takes the same fraction of every gift's unallocated amount, so every donor of
    /// the pool hears about the project.
    Proportional,
}

/// What is wrong with the pool the store handed over: a bug upstream, not a staff mistake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PoolFault {
    /// Allocations already exceed the gift.
    #[error("gift {gift_id} has a negative unallocated amount")]
    Negative {
        /// The faulty gift.
        gift_id: i64,
    },
    /// The same gift twice would let it be allocated twice.
    #[error("gift {gift_id} is listed twice")]
    Duplicate {
        /// The repeated gift.
        gift_id: i64,
    },
    /// A gift whose amount or existing allocations are negative, or allocated beyond its amount.
    #[error("a gift of {amount_cents} cents cannot have {allocated_cents} cents allocated")]
    Inconsistent {
        /// The gift's amount.
        amount_cents: i64,
        /// What its existing allocations add up to.
        allocated_cents: i64,
    },
}

/// Why an allocation was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AllocationError {
    /// Zero or negative amount asked for.
    #[error("the amount to allocate should be more than zero")]
    NotPositive,
    /// More than the gifts have left. Both amounts stay in cents so the web layer
    /// can write them the way the staff member reads them.
    #[error(
        "only {} is unallocated, less than the {} asked for",
        Money::from_cents(*.available_cents).format_en(),
        Money::from_cents(*.requested_cents).format_en()
    )]
    Insufficient {
        /// The amount staff asked to allocate.
        requested_cents: i64,
        /// Everything the matching gifts have left.
        available_cents: i64,
    },
    /// The input is inconsistent.
    #[error("the gifts to allocate from are inconsistent: {0}")]
    Invalid(PoolFault),
}

/// Splits `request_cents` over the gifts of `pool` following `rule`.
///
/// The shares add up to `request_cents` exactly, each is more than zero and at most
/// its gift's unallocated amount, and each gift appears at most once. They come in
/// the order the gifts were received (then by id), whatever the order of `pool`, so
/// the same request on the same gifts always gives the same trace.
pub fn allocate(request_cents: i64, pool: &[Available], rule: Rule) -> Result<Vec<Share>, AllocationError> {
    if request_cents <= 0 {
        return Err(AllocationError::NotPositive);
    }
    let mut seen = HashSet::with_capacity(pool.len());
    for gift in pool {
        if gift.unallocated_cents < 0 {
            return Err(AllocationError::Invalid(PoolFault::Negative { gift_id: gift.gift_id }));
        }
        if !seen.insert(gift.gift_id) {
            return Err(AllocationError::Invalid(PoolFault::Duplicate { gift_id: gift.gift_id }));
        }
    }
    // i128: a pool of many large gifts could overflow an i64 sum, and the proportional
    // rule multiplies two amounts together.
    let total: i128 = pool.iter().map(|g| i128::from(g.unallocated_cents)).sum();
    if i128::from(request_cents) > total {
        return Err(AllocationError::Insufficient {
            requested_cents: request_cents,
            // Cannot saturate: the total is below the request, itself an i64.
            available_cents: i64::try_from(total).unwrap_or(i64::MAX),
        });
    }
    let mut gifts: Vec<Available> = pool.iter().copied().filter(|g| g.unallocated_cents > 0).collect();
    gifts.sort_by_key(|g| (g.received_at, g.gift_id));
    let shares = match rule {
        Rule::OldestFirst => oldest_first(request_cents, &gifts),
        Rule::Proportional => proportional(request_cents, &gifts, total),
    };
    Ok(shares.into_iter().filter(|s| s.cents > 0).collect())
}

/// Fills gifts in order; `gifts` is sorted and holds at least `request` in total.
fn oldest_first(request: i64, gifts: &[Available]) -> Vec<Share> {
    let mut left = request;
    let mut shares = Vec::new();
    for gift in gifts {
        if left == 0 {
            break;
        }
        let cents = left.min(gift.unallocated_cents);
        shares.push(Share {
            gift_id: gift.gift_id,
            cents,
        });
        left -= cents;
    }
    shares
}

/// Largest-remainder (Hamilton) method: every gift gets the floor of its exact share,
/// then the cents lost to rounding go one each to the gifts whose exact share was
/// rounded down the most, ties to the lower gift id so the result is reproducible.
///
/// No gift can exceed its unallocated amount: with `request ≤ total` the exact share
/// is at most the gift's amount, and a share that was rounded down was strictly below
/// it, so adding one cent keeps it within.
fn proportional(request: i64, gifts: &[Available], total: i128) -> Vec<Share> {
    let request = i128::from(request);
    let exact: Vec<(i128, i128)> = gifts
        .iter()
        .map(|g| {
            let scaled = request * i128::from(g.unallocated_cents);
            (scaled / total, scaled % total)
        })
        .collect();
    let mut leftover = request - exact.iter().map(|(floor, _)| floor).sum::<i128>();
    let mut by_remainder: Vec<usize> = (0..gifts.len()).filter(|&i| exact[i].1 > 0).collect();
    by_remainder.sort_by(|&a, &b| {
        exact[b]
            .1
            .cmp(&exact[a].1)
            .then(gifts[a].gift_id.cmp(&gifts[b].gift_id))
    });
    let mut bonus = vec![0_i128; gifts.len()];
    // The floors lose less than one cent per rounded-down gift, so there are enough of them.
    for i in by_remainder {
        if leftover == 0 {
            break;
        }
        bonus[i] = 1;
        leftover -= 1;
    }
    gifts
        .iter()
        .zip(exact.iter().zip(bonus))
        .map(|(g, ((floor, _), bonus))| Share {
            gift_id: g.gift_id,
            // At most the gift's unallocated amount (see above), which is an i64.
            cents: i64::try_from(floor + bonus).unwrap_or(g.unallocated_cents),
        })
        .collect()
}

/// Checks one manual allocation of `new_cents` from a gift of `gift_amount_cents`
/// whose existing allocations add up to `already_allocated_cents`: a gift's
/// allocations never exceed its amount.
pub fn check_allocation(
    gift_amount_cents: i64,
    already_allocated_cents: i64,
    new_cents: i64,
) -> Result<(), AllocationError> {
    if new_cents <= 0 {
        return Err(AllocationError::NotPositive);
    }
    if gift_amount_cents < 0 || already_allocated_cents < 0 || already_allocated_cents > gift_amount_cents {
        return Err(AllocationError::Invalid(PoolFault::Inconsistent {
            amount_cents: gift_amount_cents,
            allocated_cents: already_allocated_cents,
        }));
    }
    // Cannot overflow: both are non-negative and the allocated part is the smaller.
    let available_cents = gift_amount_cents - already_allocated_cents;
    if new_cents > available_cents {
        return Err(AllocationError::Insufficient {
            requested_cents: new_cents,
            available_cents,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn gift(gift_id: i64, received_at: i64, unallocated_cents: i64) -> Available {
        Available {
            gift_id,
            received_at,
            unallocated_cents,
        }
    }

    fn share(gift_id: i64, cents: i64) -> Share {
        Share { gift_id, cents }
    }

    #[test]
    fn spring_gifts_fund_the_well_oldest_first() {
        // 12 000 € for the well in Kpalimé, from four spring gifts listed out of order.
        let pool = [
            gift(4, 400, 900_000),
            gift(2, 200, 500_000),
            gift(1, 100, 300_000),
            gift(3, 300, 0),
        ];
        let shares = allocate(1_200_000, &pool, Rule::OldestFirst).expect("enough is unallocated");
        assert_eq!(shares, [share(1, 300_000), share(2, 500_000), share(4, 400_000)]);
    }

    #[test]
    fn gifts_received_the_same_second_are_used_in_id_order() {
        let pool = [gift(9, 100, 50), gift(5, 100, 50)];
        assert_eq!(
            allocate(60, &pool, Rule::OldestFirst),
            Ok(vec![share(5, 50), share(9, 10)])
        );
    }

    #[test]
    fn proportional_split_hands_rounding_cents_to_the_largest_remainders() {
        // 1 € over three equal gifts: 33,33… cents each, the spare cent to the lowest id.
        let pool = [gift(7, 1, 500), gift(3, 2, 500), gift(5, 3, 500)];
        let shares = allocate(100, &pool, Rule::Proportional).expect("enough is unallocated");
        assert_eq!(shares, [share(7, 33), share(3, 34), share(5, 33)]);
        // 10 € from 60 € and 20 €: exactly three quarters and one quarter.
        let pool = [gift(1, 1, 6_000), gift(2, 2, 2_000)];
        assert_eq!(
            allocate(1_000, &pool, Rule::Proportional),
            Ok(vec![share(1, 750), share(2, 250)])
        );
        // 1 cent from 2 € and 1 €: the remainders are 2/3 and 1/3, the larger wins.
        let pool = [gift(1, 1, 100), gift(2, 2, 200)];
        assert_eq!(allocate(1, &pool, Rule::Proportional), Ok(vec![share(2, 1)]));
    }

    #[test]
    fn allocating_everything_empties_every_gift() {
        let pool = [gift(1, 1, 1), gift(2, 2, 999), gift(3, 3, 12_345)];
        for rule in [Rule::OldestFirst, Rule::Proportional] {
            let shares = allocate(13_345, &pool, rule).expect("exactly what is unallocated");
            assert_eq!(shares, [share(1, 1), share(2, 999), share(3, 12_345)]);
        }
    }

    #[test]
    fn asking_more_than_is_unallocated_says_what_is_left() {
        let pool = [gift(1, 1, 100_000), gift(2, 2, 23_456)];
        let err = allocate(1_200_000, &pool, Rule::Proportional).expect_err("too much");
        assert_eq!(
            err,
            AllocationError::Insufficient {
                requested_cents: 1_200_000,
                available_cents: 123_456
            }
        );
        assert_eq!(
            err.to_string(),
            "only €1,234.56 is unallocated, less than the €12,000.00 asked for"
        );
        let err = allocate(1, &[], Rule::OldestFirst).expect_err("nothing to draw on");
        assert_eq!(
            err,
            AllocationError::Insufficient {
                requested_cents: 1,
                available_cents: 0
            }
        );
    }

    #[test]
    fn a_zero_or_negative_request_is_refused() {
        let pool = [gift(1, 1, 100)];
        for request in [0, -1, i64::MIN] {
            assert_eq!(
                allocate(request, &pool, Rule::OldestFirst),
                Err(AllocationError::NotPositive)
            );
        }
    }

    #[test]
    fn a_corrupt_pool_is_refused() {
        let negative = [gift(1, 1, 100), gift(2, 2, -1)];
        let fault = PoolFault::Negative { gift_id: 2 };
        assert_eq!(
            allocate(50, &negative, Rule::OldestFirst),
            Err(AllocationError::Invalid(fault))
        );
        let twice = [gift(1, 1, 100), gift(1, 2, 100)];
        let fault = PoolFault::Duplicate { gift_id: 1 };
        assert_eq!(
            allocate(50, &twice, Rule::Proportional),
            Err(AllocationError::Invalid(fault))
        );
        assert_eq!(
            AllocationError::Invalid(fault).to_string(),
            "the gifts to allocate from are inconsistent: gift 1 is listed twice"
        );
    }

    #[test]
    fn pools_beyond_an_i64_total_do_not_overflow() {
        let pool = [gift(1, 1, i64::MAX), gift(2, 2, i64::MAX), gift(3, 3, 1)];
        for rule in [Rule::OldestFirst, Rule::Proportional] {
            let shares = allocate(i64::MAX, &pool, rule).expect("the pool holds twice as much");
            assert_eq!(
                shares.iter().map(|s| i128::from(s.cents)).sum::<i128>(),
                i128::from(i64::MAX)
            );
        }
    }

    #[test]
    fn a_manual_allocation_fits_within_the_gift() {
        assert_eq!(check_allocation(5_000, 3_000, 2_000), Ok(()));
        assert_eq!(
            check_allocation(5_000, 3_000, 2_001),
            Err(AllocationError::Insufficient {
                requested_cents: 2_001,
                available_cents: 2_000
            })
        );
        assert_eq!(check_allocation(5_000, 0, 0), Err(AllocationError::NotPositive));
        let fault = PoolFault::Inconsistent {
            amount_cents: 5_000,
            allocated_cents: 6_000,
        };
        assert_eq!(check_allocation(5_000, 6_000, 1), Err(AllocationError::Invalid(fault)));
        let fault = PoolFault::Inconsistent {
            amount_cents: 5_000,
            allocated_cents: -1,
        };
        assert_eq!(check_allocation(5_000, -1, 1), Err(AllocationError::Invalid(fault)));
    }

    /// Unallocated amounts: often nothing, small, large, or big enough for the
    /// proportional products and the pool total to leave the i64 range.
    fn amount() -> impl Strategy<Value = i64> {
        prop_oneof![
            Just(0_i64),
            1_i64..100,
            1_i64..10_000_000,
            (i64::MAX / 16)..(i64::MAX / 4)
        ]
    }

    /// A pool of distinct gifts, many received the same second so ties are exercised.
    fn pool() -> impl Strategy<Value = Vec<Available>> {
        prop::collection::vec((0_i64..6, amount()), 0..12)
            .prop_flat_map(|entries| {
                let ids: Vec<i64> = (0..entries.len()).map(|i| i as i64 * 3 - 7).collect();
                (Just(entries), Just(ids).prop_shuffle())
            })
            .prop_map(|(entries, ids)| {
                entries
                    .into_iter()
                    .zip(ids)
                    .map(|((t, u), id)| gift(id, t, u))
                    .collect()
            })
    }

    fn total(pool: &[Available]) -> i128 {
        pool.iter().map(|g| i128::from(g.unallocated_cents)).sum()
    }

    /// A pool, the same pool shuffled, and a request around its total (often just over).
    fn case() -> impl Strategy<Value = (Vec<Available>, Vec<Available>, i64)> {
        pool().prop_flat_map(|pool| {
            let top = i64::try_from(total(&pool) + 2).unwrap_or(i64::MAX);
            let request = prop_oneof![-2_i64..=top, (top - 3).max(-2)..=top];
            (Just(pool.clone()), Just(pool).prop_shuffle(), request)
        })
    }

    fn rule() -> impl Strategy<Value = Rule> {
        prop_oneof![Just(Rule::OldestFirst), Just(Rule::Proportional)]
    }

    proptest! {
        #[test]
        fn totals_are_conserved_or_the_exact_shortfall_is_reported((pool, _, request) in case(), rule in rule()) {
            let result = allocate(request, &pool, rule);
            if request <= 0 {
                prop_assert_eq!(result, Err(AllocationError::NotPositive));
            } else if i128::from(request) > total(&pool) {
                let available_cents = i64::try_from(total(&pool)).expect("below the request");
                prop_assert_eq!(result, Err(AllocationError::Insufficient { requested_cents: request, available_cents }));
            } else {
                let shares = result.expect("enough is unallocated");
                prop_assert_eq!(shares.iter().map(|s| i128::from(s.cents)).sum::<i128>(), i128::from(request));
            }
        }

        #[test]
        fn shares_are_positive_within_their_gift_and_once_each((pool, _, request) in case(), rule in rule()) {
            let shares = allocate(request, &pool, rule).unwrap_or_default();
            let mut seen = HashSet::new();
            for s in &shares {
                let gift = pool.iter().find(|g| g.gift_id == s.gift_id).expect("shares come from the pool");
                prop_assert!(s.cents > 0 && s.cents <= gift.unallocated_cents, "{s:?} of {gift:?}");
                prop_assert!(seen.insert(s.gift_id), "gift {} drawn twice", s.gift_id);
            }
        }

        #[test]
        fn oldest_first_uses_up_older_gifts_before_touching_younger_ones((pool, _, request) in case()) {
            let shares = allocate(request, &pool, Rule::OldestFirst).unwrap_or_default();
            let taken = |id: i64| shares.iter().find(|s| s.gift_id == id).map_or(0, |s| s.cents);
            let key = |g: &Available| (g.received_at, g.gift_id);
            for young in pool.iter().filter(|g| taken(g.gift_id) > 0) {
                for old in pool.iter().filter(|g| key(g) < key(young)) {
                    prop_assert_eq!(taken(old.gift_id), old.unallocated_cents, "{:?} before {:?}", old, young);
                }
            }
        }

        #[test]
        fn proportional_shares_are_within_a_cent_of_the_exact_fraction((pool, _, request) in case()) {
            let Ok(shares) = allocate(request, &pool, Rule::Proportional) else { return Ok(()) };
            let total = total(&pool);
            for g in &pool {
                let cents = shares.iter().find(|s| s.gift_id == g.gift_id).map_or(0, |s| s.cents);
                // |cents − request × unallocated / total| < 1, multiplied through by total.
                let gap = i128::from(cents) * total - i128::from(request) * i128::from(g.unallocated_cents);
                prop_assert!(gap.abs() < total, "{g:?} got {cents} of {request}");
            }
        }

        #[test]
        fn the_order_of_the_pool_does_not_change_the_trace((pool, shuffled, request) in case(), rule in rule()) {
            prop_assert_eq!(allocate(request, &pool, rule), allocate(request, &shuffled, rule));
        }

        #[test]
        fn manual_allocations_never_exceed_the_gift(
            amount in 0_i64..1_000_000, already in 0_i64..1_000_000, new in -10_i64..1_000_000,
        ) {
            let fits = new > 0 && already <= amount && already + new <= amount;
            prop_assert_eq!(check_allocation(amount, already, new).is_ok(), fits);
        }
    }
}
