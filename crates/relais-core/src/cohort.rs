//! Does telling donors what their gift did bring them back? For each cohort of donors
//! (the calendar year of their first gift), the share who gave again, among those who
//! received at least one impact message and among those who did not.
//!
//! This is a comparison, not proof of cause: staff may tell the most engaged donors
//! first, and a donor told after giving again still counts as told.

use std::collections::BTreeMap;

/// One donor's giving span, as a store computes it cheaply: one `GROUP BY donor_id`
/// over the gifts with `MIN` and `MAX` of their calendar year, and `told` as an
/// `EXISTS` over the impact messages sent to the donor. Keeping the years rather than
/// a precomputed "gave again" flag leaves the definition of a repeat here, tested once.
///
/// Several rows for one donor are merged (earliest first year, latest last year,
/// told in any row), so a store may also send one row per gift or per campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DonorYears {
    /// The donor, used only to merge their rows.
    pub donor_id: i64,
    /// Calendar year of their first gift: their cohort.
    pub first_gift_year: i32,
    /// Calendar year of their latest gift.
    pub last_gift_year: i32,
    /// Whether they received at least one impact message.
    pub told: bool,
}

/// One cohort's repeat giving, told and untold donors side by side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CohortRate {
    /// Calendar year of the cohort's first gifts.
    pub year: i32,
    /// Donors of the cohort who received an impact message.
    pub told_donors: u64,
    /// Of those, the ones who gave again.
    pub told_repeat: u64,
    /// Donors of the cohort who received none.
    pub untold_donors: u64,
    /// Of those, the ones who gave again.
    pub untold_repeat: u64,
    /// The cohort of last year: its donors still have the rest of this year to give
    /// again, so its rates will rise and should be shown as provisional.
    pub partial: bool,
}

impl CohortRate {
    /// Share of told donors who gave again, in `0..=1`; `None` when nobody was told.
    pub fn told_rate(&self) -> Option<f64> {
        rate(self.told_repeat, self.told_donors)
    }

    /// Share of untold donors who gave again, in `0..=1`; `None` when everybody was told.
    pub fn untold_rate(&self) -> Option<f64> {
        rate(self.untold_repeat, self.untold_donors)
    }
}

fn rate(repeat: u64, donors: u64) -> Option<f64> {
    (donors > 0).then(|| repeat as f64 / donors as f64)
}

/// Repeat-giving rates per cohort, sorted by year.
///
/// A donor repeats when they gave in a calendar year later than their first one: a
/// second gift the same year (a monthly gift, a gift after an appeal) is the first
/// year's enthusiasm, not loyalty. Cohorts of `current_year` and later are left out:
/// no later year has begun, so they could only show 0 % and suggest a collapse. Last
/// year's cohort is included and flagged [`CohortRate::partial`].
pub fn repeat_rates(donors: &[DonorYears], current_year: i32) -> Vec<CohortRate> {
    let mut merged: BTreeMap<i64, DonorYears> = BTreeMap::new();
    for row in donors {
        merged
            .entry(row.donor_id)
            .and_modify(|d| {
                d.first_gift_year = d.first_gift_year.min(row.first_gift_year);
                d.last_gift_year = d.last_gift_year.max(row.last_gift_year);
                d.told |= row.told;
            })
            .or_insert(*row);
    }
    let mut cohorts: BTreeMap<i32, CohortRate> = BTreeMap::new();
    for donor in merged.values().filter(|d| d.first_gift_year < current_year) {
        let year = donor.first_gift_year;
        let cohort = cohorts.entry(year).or_insert(CohortRate {
            year,
            told_donors: 0,
            told_repeat: 0,
            untold_donors: 0,
            untold_repeat: 0,
            partial: year == current_year - 1,
        });
        let repeat = u64::from(donor.last_gift_year > year);
        if donor.told {
            cohort.told_donors += 1;
            cohort.told_repeat += repeat;
        } else {
            cohort.untold_donors += 1;
            cohort.untold_repeat += repeat;
        }
    }
    cohorts.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn donor(donor_id: i64, first_gift_year: i32, last_gift_year: i32, told: bool) -> DonorYears {
        DonorYears {
            donor_id,
            first_gift_year,
            last_gift_year,
            told,
        }
    }

    fn cohort(year: i32, told: (u64, u64), untold: (u64, u64), partial: bool) -> CohortRate {
        CohortRate {
            year,
            told_donors: told.0,
            told_repeat: told.1,
            untold_donors: untold.0,
            untold_repeat: untold.1,
            partial,
        }
    }

    #[test]
    fn told_donors_are_compared_with_untold_ones_per_cohort() {
        let donors = [
            // 2022: three told donors, two came back; four untold, one came back.
            donor(1, 2022, 2023, true),
            donor(2, 2022, 2025, true),
            donor(3, 2022, 2022, true),
            donor(4, 2022, 2024, false),
            donor(5, 2022, 2022, false),
            donor(6, 2022, 2022, false),
            donor(7, 2022, 2022, false),
            // 2023: one told donor who came back, nobody untold.
            donor(8, 2023, 2024, true),
        ];
        let rates = repeat_rates(&donors, 2026);
        assert_eq!(
            rates,
            [cohort(2022, (3, 2), (4, 1), false), cohort(2023, (1, 1), (0, 0), false)]
        );
        assert_eq!(rates[0].told_rate(), Some(2.0 / 3.0));
        assert_eq!(rates[0].untold_rate(), Some(0.25));
        assert_eq!(rates[1].told_rate(), Some(1.0));
        assert_eq!(rates[1].untold_rate(), None, "nobody untold: no rate, not 0 %");
    }

    #[test]
    fn giving_twice_in_the_same_year_is_not_a_repeat() {
        let rates = repeat_rates(&[donor(1, 2023, 2023, false), donor(2, 2023, 2024, false)], 2026);
        assert_eq!(rates, [cohort(2023, (0, 0), (2, 1), false)]);
    }

    #[test]
    fn this_years_cohort_is_left_out_and_last_years_is_partial() {
        let donors = [
            donor(1, 2024, 2025, true),
            donor(2, 2025, 2025, true),
            donor(3, 2026, 2026, false),
        ];
        assert_eq!(
            repeat_rates(&donors, 2026),
            [cohort(2024, (1, 1), (0, 0), false), cohort(2025, (1, 0), (0, 0), true)]
        );
    }

    #[test]
    fn rows_of_one_donor_are_merged_into_one_span() {
        // One row per gift, as a store without MIN/MAX might send: 2021, 2021 then 2023,
        // told only with the last one. The donor is one told 2021 donor who came back.
        let donors = [
            donor(7, 2023, 2023, true),
            donor(7, 2021, 2021, false),
            donor(7, 2021, 2021, false),
        ];
        assert_eq!(repeat_rates(&donors, 2026), [cohort(2021, (1, 1), (0, 0), false)]);
    }

    #[test]
    fn cohorts_come_sorted_by_year_and_nobody_gives_no_rows() {
        let donors = [
            donor(1, 2024, 2024, false),
            donor(2, 2019, 2020, false),
            donor(3, 2021, 2021, true),
        ];
        let years: Vec<i32> = repeat_rates(&donors, 2026).iter().map(|c| c.year).collect();
        assert_eq!(years, [2019, 2021, 2024]);
        assert_eq!(repeat_rates(&[], 2026), []);
        let empty = cohort(2020, (0, 0), (0, 0), false);
        assert_eq!((empty.told_rate(), empty.untold_rate()), (None, None));
    }
}
