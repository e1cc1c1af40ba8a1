//! NAACCR item numbers and NAACCR XML ids of the items the SEER staging algorithms read
//! and derive. Written for Registrar from the items named by the eod_public 3.2 and 3.3
//! schemas; a test checks every row against the NAACCR v26 dictionary.

/// (NAACCR item number, NAACCR XML id) for items current in NAACCR v26.
pub(crate) const STAGING_ITEMS: &[(u32, &str)] = &[
    (225, "sexAssignedAtBirth"),
    (230, "ageAtDiagnosis"),
    (390, "dateOfDiagnosis"),
    (400, "primarySite"),
    (500, "typeOfReportingSource"),
    (522, "histologicTypeIcdO3"),
    (523, "behaviorCodeIcdO3"),
    (752, "tumorSizeClinical"),
    (754, "tumorSizePathologic"),
    (756, "tumorSizeSummary"),
    (762, "derivedSummaryStage2018"),
    (764, "summaryStage2018"),
    (772, "eodPrimaryTumor"),
    (774, "eodRegionalNodes"),
    (776, "eodMets"),
    (785, "derivedEod2018T"),
    (795, "derivedEod2018M"),
    (815, "derivedEod2018N"),
    (818, "derivedEod2018StageGroup"),
    (820, "regionalNodesPositive"),
    (830, "regionalNodesExamined"),
    (834, "sentinelLymphNodesExamined"),
    (835, "sentinelLymphNodesPositive"),
    (1068, "gradePostTherapyClin"),
    (1172, "ptld"),
    (1174, "pdl1"),
    (1176, "spreadThroughAirSpacesStas"),
    (1178, "residualCancerBurdenRCB"),
    (1179, "residualCancerBurdenClass"),
    (1380, "rxSummSurgRadSeq"),
    (1632, "neoadjuvantTherapy"),
    (1633, "neoadjuvTherapyClinicalResponse"),
    (1634, "neoadjuvTherapyTreatmentEffect"),
    (1639, "rxSummSystemicSurSeq"),
    (1975, "derivedSummaryGrade2018"),
    (3700, "seerSiteSpecificFact1"),
    (3800, "schemaId"),
    (3801, "chromosome1pLossHeterozygosity"),
    (3802, "chromosome19qLossHeterozygosity"),
    (3803, "adenoidCysticBasaloidPattern"),
    (3804, "adenopathy"),
    (3805, "afpPostOrchiectomyLabValue"),
    (3806, "afpPostOrchiectomyRange"),
    (3807, "afpPreOrchiectomyLabValue"),
    (3808, "afpPreOrchiectomyRange"),
    (3809, "afpPretreatmentInterpretation"),
    (3810, "afpPretreatmentLabValue"),
    (3811, "anemia"),
    (3812, "bSymptoms"),
    (3813, "bilirubinPretxTotalLabValue"),
    (3814, "bilirubinPretxUnitOfMeasure"),
    (3815, "boneInvasion"),
    (3816, "brainMolecularMarkers"),
    (3817, "breslowTumorThickness"),
    (3818, "ca125PretreatmentInterpretation"),
    (3819, "ceaPretreatmentInterpretation"),
    (3820, "ceaPretreatmentLabValue"),
    (3821, "chromosome3Status"),
    (3822, "chromosome8qStatus"),
    (3823, "circumferentialResectionMargin"),
    (3824, "creatininePretreatmentLabValue"),
    (3825, "creatininePretxUnitOfMeasure"),
    (3826, "estrogenReceptorPercntPosOrRange"),
    (3827, "estrogenReceptorSummary"),
    (3828, "estrogenReceptorTotalAllredScore"),
    (3829, "esophagusAndEgjTumorEpicenter"),
    (3830, "extranodalExtensionClin"),
    (3831, "extranodalExtensionHeadNeckClin"),
    (3832, "extranodalExtensionHeadNeckPath"),
    (3833, "extranodalExtensionPath"),
    (3834, "extravascularMatrixPatterns"),
    (3835, "fibrosisScore"),
    (3836, "figoStage"),
    (3837, "gestationalTrophoblasticPxIndex"),
    (3838, "gleasonPatternsClinical"),
    (3839, "gleasonPatternsPathological"),
    (3840, "gleasonScoreClinical"),
    (3841, "gleasonScorePathological"),
    (3842, "gleasonTertiaryPattern"),
    (3843, "gradeClinical"),
    (3844, "gradePathological"),
    (3845, "gradePostTherapy"),
    (3846, "hcgPostOrchiectomyLabValue"),
    (3847, "hcgPostOrchiectomyRange"),
    (3848, "hcgPreOrchiectomyLabValue"),
    (3849, "hcgPreOrchiectomyRange"),
    (3850, "her2IhcSummary"),
    (3851, "her2IshDualProbeCopyNumber"),
    (3852, "her2IshDualProbeRatio"),
    (3853, "her2IshSingleProbeCopyNumber"),
    (3854, "her2IshSummary"),
    (3855, "her2OverallSummary"),
    (3856, "heritableTrait"),
    (3857, "highRiskCytogenetics"),
    (3858, "highRiskHistologicFeatures"),
    (3859, "hivStatus"),
    (3860, "iNRProthrombinTime"),
    (3861, "ipsilateralAdrenalGlandInvolve"),
    (3862, "jak2"),
    (3863, "ki67"),
    (3864, "invasionBeyondCapsule"),
    (3865, "kitGeneImmunohistochemistry"),
    (3866, "kras"),
    (3867, "ldhPostOrchiectomyRange"),
    (3868, "ldhPreOrchiectomyRange"),
    (3869, "ldhPretreatmentLevel"),
    (3870, "ldhUpperLimitsOfNormal"),
    (3871, "lnAssessMethodFemoralInguinal"),
    (3872, "lnAssessMethodParaaortic"),
    (3873, "lnAssessMethodPelvic"),
    (3874, "lnDistantAssessMethod"),
    (3875, "lnDistantMediastinalScalene"),
    (3876, "lnHeadAndNeckLevels1To3"),
    (3877, "lnHeadAndNeckLevels4To5"),
    (3878, "lnHeadAndNeckLevels6To7"),
    (3879, "lnHeadAndNeckOther"),
    (3880, "lnIsolatedTumorCells"),
    (3881, "lnLaterality"),
    (3882, "lnPositiveAxillaryLevel1To2"),
    (3883, "lnSize"),
    (3885, "lymphocytosis"),
    (3886, "majorVeinInvolvement"),
    (3887, "measuredBasalDiameter"),
    (3888, "measuredThickness"),
    (3889, "methylationOfO6MGMT"),
    (3890, "microsatelliteInstability"),
    (3891, "microvascularDensity"),
    (3892, "mitoticCountUvealMelanoma"),
    (3893, "mitoticRateMelanoma"),
    (3894, "multigeneSignatureMethod"),
    (3895, "multigeneSignatureResults"),
    (3896, "nccnInternationalPrognosticIndex"),
    (3897, "numberOfCoresExamined"),
    (3898, "numberOfCoresPositive"),
    (3899, "numberOfExaminedParaAorticNodes"),
    (3900, "numberOfExaminedPelvicNodes"),
    (3901, "numberOfPositiveParaAorticNodes"),
    (3902, "numberOfPositivePelvicNodes"),
    (3903, "oncotypeDxRecurrenceScoreDcis"),
    (3904, "oncotypeDxRecurrenceScoreInvasiv"),
    (3905, "oncotypeDxRiskLevelDcis"),
    (3906, "oncotypeDxRiskLevelInvasive"),
    (3907, "organomegaly"),
    (3908, "percentNecrosisPostNeoadjuvant"),
    (3909, "perineuralInvasion"),
    (3910, "peripheralBloodInvolvement"),
    (3911, "peritonealCytology"),
    (3913, "pleuralEffusion"),
    (3914, "progesteroneRecepPrcntPosOrRange"),
    (3915, "progesteroneRecepSummary"),
    (3916, "progesteroneRecepTotalAllredScor"),
    (3917, "primarySclerosingCholangitis"),
    (3918, "profoundImmuneSuppression"),
    (3919, "prostatePathologicalExtension"),
    (3920, "psaLabValue"),
    (3921, "residualTumVolPostCytoreduction"),
    (3922, "responseToNeoadjuvantTherapy"),
    (3923, "sCategoryClinical"),
    (3924, "sCategoryPathological"),
    (3925, "sarcomatoidFeatures"),
    (3926, "schemaDiscriminator1"),
    (3927, "schemaDiscriminator2"),
    (3928, "schemaDiscriminator3"),
    (3929, "separateTumorNodules"),
    (3930, "serumAlbuminPretreatmentLevel"),
    (3931, "serumBeta2MicroglobulinPretxLvl"),
    (3932, "ldhPretreatmentLabValue"),
    (3933, "thrombocytopenia"),
    (3934, "tumorDeposits"),
    (3935, "tumorGrowthPattern"),
    (3936, "ulceration"),
    (3937, "visceralParietalPleuralInvasion"),
    (3938, "alkRearrangement"),
    (3939, "egfrMutationalAnalysis"),
    (3940, "brafMutationalAnalysis"),
    (3941, "nrasMutationalAnalysis"),
    (3942, "ca199PretxLabValue"),
    (3955, "derivedRaiStage"),
    (3956, "p16"),
    (3957, "lnStatusPelvic"),
    (3958, "lnStatusParaAortic"),
    (3959, "lnStatusFemoralInguinal"),
    (3960, "histologicSubtype"),
    (3961, "clinicalMarginWidth"),
    (3964, "brainPrimaryTumorLocation"),
];

/// Items retired from NAACCR v26 that older algorithms still name:
/// (retired number, its XML id in v25, the v26 item that replaced it).
pub(crate) const RETIRED_ITEMS: &[(u32, &str, u32)] = &[(220, "sex", 225)];

/// NAACCR item number holding the date of diagnosis; the algorithms read only its year.
pub(crate) const DATE_OF_DIAGNOSIS_ITEM: u32 = 390;

/// The NAACCR XML id of an item number, current or retired.
pub fn naaccr_xml_id(item: u32) -> Option<&'static str> {
    STAGING_ITEMS
        .iter()
        .find(|(n, _)| *n == item)
        .map(|(_, id)| *id)
        .or_else(|| {
            RETIRED_ITEMS
                .iter()
                .find(|(n, _, _)| *n == item)
                .map(|(_, id, _)| *id)
        })
}

/// The NAACCR item number of an XML id, current or retired.
pub fn naaccr_item_number(xml_id: &str) -> Option<u32> {
    STAGING_ITEMS
        .iter()
        .find(|(_, id)| *id == xml_id)
        .map(|(n, _)| *n)
        .or_else(|| {
            RETIRED_ITEMS
                .iter()
                .find(|(_, id, _)| *id == xml_id)
                .map(|(n, _, _)| *n)
        })
}

/// The other XML id a value may arrive under: a retired item and its replacement stand in
/// for each other (v25 `sex` and v26 `sexAssignedAtBirth`).
pub(crate) fn alias_xml_id(item: u32) -> Option<&'static str> {
    RETIRED_ITEMS.iter().find_map(|(old, _, new)| {
        if *old == item {
            naaccr_xml_id(*new)
        } else if *new == item {
            naaccr_xml_id(*old)
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn shared(file: &str) -> String {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/naaccr")
            .join(file);
        std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "NAACCR reference file {} is missing ({e}); these tests need ../shared",
                path.display()
            )
        })
    }

    /// (number, XML id) pairs of the v26 CSV view: first column id, second number.
    fn v26_items() -> Vec<(u32, String)> {
        shared("naaccr-xml-items-260.csv")
            .lines()
            .skip(1)
            .filter_map(|line| {
                let mut fields = line.split(',');
                let id = fields.next()?.to_string();
                let number = fields.next()?.parse().ok()?;
                Some((number, id))
            })
            .collect()
    }

    #[test]
    fn every_item_matches_the_naaccr_v26_dictionary() {
        let v26 = v26_items();
        assert!(v26.len() > 700, "the v26 CSV should list about 771 items");
        for (number, id) in STAGING_ITEMS {
            let found = v26.iter().find(|(n, _)| n == number);
            assert_eq!(
                found.map(|(_, i)| i.as_str()),
                Some(*id),
                "item {number} in the v26 dictionary"
            );
        }
    }

    #[test]
    fn retired_items_are_absent_from_v26_and_present_in_v25() {
        let v26 = v26_items();
        let v25 = shared("naaccr-dictionary-250.xml");
        for (number, id, replacement) in RETIRED_ITEMS {
            assert!(
                v26.iter().all(|(n, _)| n != number),
                "{number} retired in v26"
            );
            assert!(v26.iter().any(|(n, _)| n == replacement));
            let def = format!("naaccrId=\"{id}\"");
            let pos = v25.find(&def).unwrap_or_else(|| panic!("{id} in v25"));
            let tail = v25.get(pos..pos + 300).unwrap_or("");
            assert!(
                tail.contains(&format!("naaccrNum=\"{number}\"")),
                "{id} is item {number} in v25"
            );
        }
    }

    #[test]
    fn lookups_both_ways_and_aliases() {
        assert_eq!(naaccr_xml_id(400), Some("primarySite"));
        assert_eq!(naaccr_xml_id(3926), Some("schemaDiscriminator1"));
        assert_eq!(naaccr_xml_id(220), Some("sex"));
        assert_eq!(naaccr_item_number("derivedSummaryStage2018"), Some(762));
        assert_eq!(naaccr_item_number("nonsense"), None);
        assert_eq!(alias_xml_id(220), Some("sexAssignedAtBirth"));
        assert_eq!(alias_xml_id(225), Some("sex"));
        assert_eq!(alias_xml_id(400), None);
    }
}
