//! Golden tests: expected words computed by hand from the class headers' bit ranges (the header
//! line each number comes from is quoted next to it). A few per class, plus header forms, GPFIFO
//! entries and the USERD layout.

use nvbare_driver::class::{
    self, c56f, c6b5, c6c0, c7b5, c7c0, c86f, c8b5, c96f, c9b5, c9c0, ca6f, cab5, cbc0, cdc0, cec0,
    Method,
};
use nvbare_driver::push::gpfifo::{Fetch, GpEntry, Level, Opcode, Sync};
use nvbare_driver::push::userd::{self, ChannelControl};
use nvbare_driver::push::{Bound, MethodHeader, PushBuffer, SecOp, Subchannel};
use nvbare_driver::Error;

fn sc(n: u8) -> Subchannel {
    Subchannel::new(n).unwrap()
}

// ---- method headers (NVC56F_DMA_*: METHOD_ADDRESS 11:0, METHOD_SUBCHANNEL 15:13, METHOD_COUNT 28:16,
// ---- IMMD_DATA 28:16, SEC_OP 31:29 with INC_METHOD 1, NON_INC_METHOD 3, IMMD_DATA_METHOD 4, ONE_INC 5)

#[test]
fn header_forms() {
    let mut buf = [0u32; 16];
    let mut pb = PushBuffer::new(&mut buf);
    // INC subc 3, method 0x400 (dword 0x100), 2 words: 1<<29 | 2<<16 | 3<<13 | 0x100 = 0x20026100
    pb.methods(SecOp::IncMethod, sc(3), 0x400, &[0xdead_beef, 0x1234_5678])
        .unwrap();
    // NON_INC subc 0, method 0x10 (dword 4), 1 word: 3<<29 | 1<<16 | 4 = 0x60010004
    pb.methods(SecOp::NonIncMethod, sc(0), 0x10, &[0xffff_ffff])
        .unwrap();
    // ONE_INC subc 7, method 0x3ffc (dword 0xfff), 1 word: 5<<29 | 1<<16 | 7<<13 | 0xfff = 0xa001efff
    pb.methods(SecOp::OneInc, sc(7), 0x3ffc, &[0]).unwrap();
    // IMMD subc 5, method 0x200 (dword 0x80), data 0x1fff: 4<<29 | 0x1fff<<16 | 5<<13 | 0x80 = 0x9fffa080
    pb.immediate(sc(5), 0x200, 0x1fff).unwrap();
    assert_eq!(
        pb.words(),
        &[
            0x2002_6100,
            0xdead_beef,
            0x1234_5678,
            0x6001_0004,
            0xffff_ffff,
            0xa001_efff,
            0,
            0x9fff_a080
        ]
    );
    assert_eq!(
        MethodHeader::decode(0x9fff_a080),
        MethodHeader {
            op: SecOp::ImmdDataMethod,
            subchannel: 5,
            offset: 0x200,
            count_or_data: 0x1fff
        }
    );
    assert_eq!(
        MethodHeader {
            op: SecOp::OneInc,
            subchannel: 7,
            offset: 0x3ffc,
            count_or_data: 1
        }
        .encode()
        .unwrap(),
        0xa001_efff
    );
}

#[test]
fn automatic_form_choice_saves_words() {
    let mut buf = [0u32; 32];
    let mut pb = PushBuffer::new(&mut buf);
    let s = sc(1);
    // value fits 13 bits -> immediate, 1 word
    pb.method_raw(s, 0x100, 0x1fff).unwrap();
    // value does not fit -> INC header + data
    pb.method_raw(s, 0x200, 0x2000).unwrap();
    // next method -> appended to the open INC header (count 2)
    pb.method_raw(s, 0x204, 5).unwrap();
    // same method as the INC's last with count 2 (0x204 again) -> ONE_INC (count 3)
    pb.method_raw(s, 0x204, 6).unwrap();
    // another subchannel -> new header
    pb.method_raw(sc(2), 0x300, 0x10000).unwrap();
    // same method again -> NON_INC (count 2)
    pb.method_raw(sc(2), 0x300, 0x20000).unwrap();
    assert_eq!(
        pb.words(),
        &[
            0x9fff_2040, // IMMD 4<<29 | 0x1fff<<16 | 1<<13 | 0x40
            0xa003_2080, // ONE_INC 5<<29 | 3<<16 | 1<<13 | 0x80 (was INC count 1, then 2)
            0x2000,
            5,
            6,
            0x6002_40c0, // NON_INC 3<<29 | 2<<16 | 2<<13 | 0xc0
            0x10000,
            0x20000,
        ]
    );
}

#[test]
fn buffer_full_is_a_typed_error_and_writes_nothing() {
    let mut buf = [0u32; 3];
    let mut pb = PushBuffer::new(&mut buf);
    pb.method_raw(sc(0), 0x100, 0x10000).unwrap(); // 2 words
    let e = pb.method_raw(sc(0), 0x200, 0x10000).unwrap_err(); // needs 2, 1 left
    assert!(
        matches!(
            e,
            Error::PushBufferFull {
                needed: 2,
                available: 1
            }
        ),
        "{e}"
    );
    assert_eq!(pb.len(), 2);
    pb.method_raw(sc(0), 0x104, 0x10000).unwrap(); // continues the open header: 1 word
    assert_eq!(pb.words(), &[0x2002_0040, 0x10000, 0x10000]);
    assert!(matches!(
        pb.immediate(sc(0), 0, 1),
        Err(Error::PushBufferFull {
            needed: 1,
            available: 0
        })
    ));
    assert!(matches!(
        pb.methods(SecOp::IncMethod, sc(0), 0, &[1, 2]),
        Err(Error::PushBufferFull { .. })
    ));
    assert_eq!(pb.len(), 3);
}

#[test]
fn bad_arguments_are_typed_errors() {
    assert!(matches!(
        Subchannel::new(8),
        Err(Error::InvalidSubchannel(8))
    ));
    let mut buf = [0u32; 8];
    let mut pb = PushBuffer::new(&mut buf);
    assert!(matches!(
        pb.method_raw(sc(0), 0x4000, 1),
        Err(Error::InvalidMethodOffset(0x4000))
    ));
    assert!(matches!(
        pb.method_raw(sc(0), 0x102, 1),
        Err(Error::InvalidMethodOffset(0x102))
    ));
    assert!(matches!(
        pb.immediate(sc(0), 0x100, 0x2000),
        Err(Error::ImmediateTooLarge(0x2000))
    ));
    // INC run that would run past method 0x3ffc
    assert!(matches!(
        pb.methods(SecOp::IncMethod, sc(0), 0x3ffc, &[1, 2]),
        Err(Error::InvalidMethodOffset(_))
    ));
    assert!(matches!(
        pb.methods(SecOp::ImmdDataMethod, sc(0), 0x100, &[1]),
        Err(Error::NotADataSecOp(SecOp::ImmdDataMethod))
    ));
    // checked push: C56F SEM_ADDR_HI OFFSET is 7:0 ("#define NVC56F_SEM_ADDR_HI_OFFSET 7:0")
    let host = Bound::<c56f::Class>::assume(sc(0));
    let e = pb
        .push_checked(host, c56f::SemAddrHi { offset: 0x100 })
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::FieldOverflow {
                field: "OFFSET",
                bits: 8,
                ..
            }
        ),
        "{e}"
    );
    // ... while C86F's is 24:0 ("#define NVC86F_SEM_ADDR_HI_OFFSET 24:0")
    let host86 = Bound::<c86f::Class>::assume(sc(0));
    pb.push_checked(host86, c86f::SemAddrHi { offset: 0x1ff_ffff })
        .unwrap();
    let e = pb
        .push_checked(host86, c86f::SemAddrHi { offset: 0x200_0000 })
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::FieldOverflow {
                field: "OFFSET",
                value: 0x200_0000,
                bits: 25,
                ..
            }
        ),
        "{e}"
    );
    // array index beyond LOAD_INLINE_QMD_DATA
    let cmp = Bound::<cbc0::Class>::assume(sc(1));
    assert!(matches!(
        pb.push_element(cmp, 120, cbc0::LoadInlineQmdData { v: 0 }),
        Err(Error::MethodIndexOutOfRange {
            index: 120,
            count: 120,
            ..
        })
    ));
    let e = pb
        .push_array::<cbc0::LoadInlineQmdData>(cmp, 100, &[0; 21])
        .unwrap_err();
    assert!(
        matches!(e, Error::MethodIndexOutOfRange { count: 120, .. }),
        "{e}"
    );
}

#[test]
#[cfg(debug_assertions)]
#[should_panic(expected = "does not fit")]
fn debug_builds_assert_field_ranges() {
    // "#define NVC56F_SEM_ADDR_HI_OFFSET 7:0"
    let _ = c56f::SemAddrHi { offset: 0x100 }.to_word();
}

// ---- host classes

#[test]
fn host_golden() {
    // "#define NVC56F_SET_OBJECT_NVCLASS 15:0", "#define NVC56F_SET_OBJECT_ENGINE 20:16", "..._ENGINE_SW 0x0000001f"
    let w = c56f::SetObject {
        nvclass: 0x906f,
        engine: c56f::SetObjectEngine::Sw,
    }
    .to_word();
    assert_eq!(w, 0x001f_906f);
    assert_eq!(c56f::SetObject::DESC.offset, 0x0); // "#define NVC56F_SET_OBJECT (0x00000000)"
                                                   // "#define NVC56F_NON_STALL_INTERRUPT (0x00000020)", "_HANDLE 31:0"
    assert_eq!(c56f::NonStallInterrupt::DESC.offset, 0x20);
    // "#define NVC56F_SEM_EXECUTE_OPERATION_ACQ_CIRC_GEQ 0x00000003", "_ACQUIRE_SWITCH_TSG 12:12" EN 1
    let w = c56f::SemExecute {
        operation: c56f::SemExecuteOperation::AcqCircGeq,
        acquire_switch_tsg: c56f::SemExecuteAcquireSwitchTsg::En,
        ..Default::default()
    }
    .to_word();
    assert_eq!(w, 0x0000_1003);
    // "_REDUCTION 30:27" IADD 5, "_REDUCTION_FORMAT 31:31" UNSIGNED 1, OPERATION REDUCTION 6
    let w = c56f::SemExecute {
        operation: c56f::SemExecuteOperation::Reduction,
        reduction: c56f::SemExecuteReduction::Iadd,
        reduction_format: c56f::SemExecuteReductionFormat::Unsigned,
        ..Default::default()
    }
    .to_word();
    assert_eq!(w, (5 << 27) | (1 << 31) | 6);
    // "#define NVC56F_WFI (0x00000078)", "_SCOPE 0:0" ALL 1
    assert_eq!(c56f::Wfi::DESC.offset, 0x78);
    assert_eq!(
        c56f::Wfi {
            scope: c56f::WfiScope::All
        }
        .to_word(),
        1
    );

    // C86F: "#define NVC86F_SEM_EXECUTE_RELEASE_TIMESTAMP 25:25" EN 1, RELEASE 1, "_PAYLOAD_SIZE 24:24"
    let w = c86f::SemExecute {
        operation: c86f::SemExecuteOperation::Release,
        release_timestamp: c86f::SemExecuteReleaseTimestamp::En,
        ..Default::default()
    }
    .to_word();
    assert_eq!(w, 0x0200_0001);
    // "#define NVC86F_SEM_ADDR_LO_OFFSET 31:2": address 0xfedc_ba98 -> field 0x3fb7_2ea6 -> word unchanged
    assert_eq!(
        c86f::SemAddrLo {
            offset: 0xfedc_ba98 >> 2
        }
        .to_word(),
        0xfedc_ba98
    );

    // C96F: "#define NVC96F_SEM_ADDR_HI (0x00000060)", "_OFFSET 24:0"; "#define NVC96F_SEM_EXECUTE_PAYLOAD_SIZE 24:24"
    assert_eq!(c96f::SemAddrHi::DESC.offset, 0x60);
    assert_eq!(
        c96f::SemAddrHi { offset: 0x1ff_ffff }.to_word(),
        0x01ff_ffff
    );
    let w = c96f::SemExecute {
        payload_size: c96f::SemExecutePayloadSize::V64bit,
        ..Default::default()
    }
    .to_word();
    assert_eq!(w, 1 << 24);
    // NON_STALL_INTERRUPT/WFI are not in the published clc96f.h: inherited and marked so.
    assert_eq!(c96f::NonStallInterrupt::DESC.inherited, Some("clc56f.h"));
    assert_eq!(c96f::Wfi::DESC.inherited, Some("clc86f.h"));

    // CA6F: "#define NVCA6F_SEM_PAYLOAD_LO (0x00000064)", "#define NVCA6F_SEM_EXECUTE_RELEASE_WFI 20:20"
    assert_eq!(ca6f::SemPayloadLo::DESC.offset, 0x64);
    assert_eq!(
        ca6f::SemExecute {
            release_wfi: ca6f::SemExecuteReleaseWfi::En,
            ..Default::default()
        }
        .to_word(),
        1 << 20
    );
}

// ---- compute classes

#[test]
fn compute_golden() {
    // "#define NVC6C0_SET_REPORT_SEMAPHORE_D 0x1b0c": "_OPERATION 1:0" TRAP 3,
    // "_AWAKEN_ENABLE 20:20" TRUE, "_STRUCTURE_SIZE 28:28" ONE_WORD 1
    assert_eq!(c6c0::SetReportSemaphoreD::DESC.offset, 0x1b0c);
    let w = c6c0::SetReportSemaphoreD {
        operation: c6c0::SetReportSemaphoreDOperation::Trap,
        awaken_enable: true,
        structure_size: c6c0::SetReportSemaphoreDStructureSize::OneWord,
        ..Default::default()
    }
    .to_word();
    assert_eq!(w, 0x1010_0003);
    // "#define NVC6C0_SET_SHADER_SHARED_MEMORY_WINDOW_A 0x02a0", "_BASE_ADDRESS_UPPER 16:0"
    assert_eq!(c6c0::SetShaderSharedMemoryWindowA::DESC.offset, 0x2a0);

    // "#define NVC7C0_SET_SHADER_LOCAL_MEMORY_NON_THROTTLED_C 0x02ec": "_MAX_SM_COUNT 8:0" (its only field)
    assert_eq!(
        c7c0::SetShaderLocalMemoryNonThrottledC {
            max_sm_count: 0x1ff
        }
        .to_word(),
        0x1ff
    );
    assert_eq!(c7c0::SetShaderLocalMemoryNonThrottledC::DESC.offset, 0x2ec);
    // "#define NVCBC0_SET_SHADER_LOCAL_MEMORY_NON_THROTTLED_C 0x02ec": "_MAX_SM_COUNT 8:0",
    // "_MAX_PLURAL_TPC_GPC_COUNT 23:16", "_MAX_SINGLETON_TPC_GPC_COUNT 31:24"
    let w = cbc0::SetShaderLocalMemoryNonThrottledC {
        max_sm_count: 0x1ff,
        max_plural_tpc_gpc_count: 0x12,
        max_singleton_tpc_gpc_count: 0x34,
    }
    .to_word();
    assert_eq!(w, 0x3412_01ff);

    // "#define NVC9C0_INVALIDATE_SHADER_CACHES 0x021c": "_INSTRUCTION 0:0", "_LOCKS 1:1", "_FLUSH_DATA 2:2",
    // "_DATA 4:4", "_CONSTANT 12:12"
    let w = c9c0::InvalidateShaderCaches {
        instruction: true,
        data: true,
        constant: true,
        locks: false,
        flush_data: true,
    }
    .to_word();
    assert_eq!(w, 0x1015);

    // "#define NVCBC0_SEND_SIGNALING_PCAS2_B 0x02c0": "_PCAS_ACTION 3:0" INVALIDATE_COPY_SCHEDULE 3,
    // "_SELECT 13:8", "_OFFSET_MINUS_ONE 23:14"
    let w = cbc0::SendSignalingPcas2B {
        pcas_action: cbc0::SendSignalingPcas2BPcasAction::InvalidateCopySchedule,
        select: 0x3f,
        offset_minus_one: 0x3ff,
    }
    .to_word();
    assert_eq!(w, 0x00ff_ff03);
    // "#define NVCBC0_SET_SHADER_LOCAL_MEMORY_A 0x0790" "_ADDRESS_UPPER 24:0"; "_WINDOW_A 0x07b0"
    assert_eq!(cbc0::SetShaderLocalMemoryA::DESC.offset, 0x790);
    assert_eq!(cbc0::SetShaderLocalMemoryWindowA::DESC.offset, 0x7b0);
    // "#define NVCBC0_SET_QMD_VIRTUALIZATION_BASE_A 0x0214"
    assert_eq!(cbc0::SetQmdVirtualizationBaseA::DESC.offset, 0x214);

    // "#define NVCDC0_SET_INLINE_QMD_ADDRESS_A 0x0318": "_QMD_ADDRESS_SHIFTED8_UPPER 8:0",
    // "_INLINE_SIZE 30:30" INLINE_384 1
    let w = cdc0::SetInlineQmdAddressA {
        qmd_address_shifted8_upper: 0x1ff,
        inline_size: cdc0::SetInlineQmdAddressAInlineSize::Inline384,
    }
    .to_word();
    assert_eq!(w, 0x4000_01ff);
    // "#define NVCDC0_INVALIDATE_SHADER_CACHES_NO_WFI 0x1698": INSTRUCTION 0:0, GLOBAL_DATA 4:4, CONSTANT 12:12
    assert_eq!(cdc0::InvalidateShaderCachesNoWfi::DESC.offset, 0x1698);
    assert_eq!(
        cdc0::InvalidateShaderCachesNoWfi {
            instruction: true,
            global_data: true,
            constant: false
        }
        .to_word(),
        0x11
    );
    // "#define NVCEC0_SEND_SIGNALING_PCAS2_B_PCAS_ACTION_INVALIDATE_COPY_SCHEDULE 0x00000003" (3:0),
    // "_SELECT 13:8" = 1, "_OFFSET_MINUS_ONE 23:14" = 2
    let w = cec0::SendSignalingPcas2B {
        pcas_action: cec0::SendSignalingPcas2BPcasAction::InvalidateCopySchedule,
        select: 1,
        offset_minus_one: 2,
    }
    .to_word();
    assert_eq!(w, 3 | (1 << 8) | (2 << 14));
    // "#define NVCEC0_LOAD_INLINE_QMD_DATA(i) (0x0320+(i)*4)"
    assert_eq!(cec0::LoadInlineQmdData::DESC.element_offset(3), Some(0x32c));
    // Blackwell compute has no SET_QMD_VIRTUALIZATION_BASE in clcdc0.h/clcec0.h
    assert!(class::lookup(&cdc0::DESC, 0x214).is_none());
    assert!(class::lookup(&cec0::DESC, 0x214).is_none());
}

// ---- copy classes

#[test]
fn copy_golden() {
    // C6B5 "#define NVC6B5_LAUNCH_DMA (0x00000300)": DATA_TRANSFER_TYPE 1:0 NON_PIPELINED 2, FLUSH_ENABLE 2:2 TRUE,
    // SEMAPHORE_TYPE 4:3 RELEASE_FOUR_WORD_SEMAPHORE 2, INTERRUPT_TYPE 6:5 NON_BLOCKING 2,
    // SRC_MEMORY_LAYOUT 7:7 PITCH 1, DST_MEMORY_LAYOUT 8:8 PITCH 1, MULTI_LINE_ENABLE 9:9 TRUE
    let w = c6b5::LaunchDma {
        data_transfer_type: c6b5::LaunchDmaDataTransferType::NonPipelined,
        flush_enable: true,
        semaphore_type: c6b5::LaunchDmaSemaphoreType::ReleaseFourWordSemaphore,
        interrupt_type: c6b5::LaunchDmaInterruptType::NonBlocking,
        src_memory_layout: c6b5::LaunchDmaSrcMemoryLayout::Pitch,
        dst_memory_layout: c6b5::LaunchDmaDstMemoryLayout::Pitch,
        multi_line_enable: true,
        ..Default::default()
    }
    .to_word();
    assert_eq!(
        w,
        2 | 4 | (2 << 3) | (2 << 5) | (1 << 7) | (1 << 8) | (1 << 9)
    );
    assert_eq!(w, 0x3d6);
    // "#define NVC6B5_SET_REMAP_COMPONENTS (0x00000708)": DST_X 2:0 CONST_A 4, DST_Y 6:4 CONST_B 5,
    // DST_Z 10:8 NO_WRITE 6, DST_W 14:12 SRC_X 0, COMPONENT_SIZE 17:16 FOUR 3, NUM_SRC 21:20 ONE 0, NUM_DST 25:24 FOUR 3
    let w = c6b5::SetRemapComponents {
        dst_x: c6b5::SetRemapComponentsDstX::ConstA,
        dst_y: c6b5::SetRemapComponentsDstY::ConstB,
        dst_z: c6b5::SetRemapComponentsDstZ::NoWrite,
        dst_w: c6b5::SetRemapComponentsDstW::SrcX,
        component_size: c6b5::SetRemapComponentsComponentSize::Four,
        num_src_components: c6b5::SetRemapComponentsNumSrcComponents::One,
        num_dst_components: c6b5::SetRemapComponentsNumDstComponents::Four,
    }
    .to_word();
    assert_eq!(w, 0x0303_0654);
    // C6B5 "#define NVC6B5_SET_SEMAPHORE_A_UPPER 16:0"
    let e = c6b5::SetSemaphoreA { upper: 0x2_0000 }.check().unwrap_err();
    assert!(
        matches!(
            e,
            Error::FieldOverflow {
                field: "UPPER",
                value: 0x2_0000,
                bits: 17,
                ..
            }
        ),
        "{e}"
    );

    // C7B5 "#define NVC7B5_LAUNCH_DMA_REMAP_ENABLE 10:10", "_SEMAPHORE_PAYLOAD_SIZE 27:27" TWO_WORD 1
    let w = c7b5::LaunchDma {
        remap_enable: true,
        semaphore_payload_size: c7b5::LaunchDmaSemaphorePayloadSize::TwoWord,
        ..Default::default()
    }
    .to_word();
    assert_eq!(w, (1 << 10) | (1 << 27));
    // "#define NVC7B5_SET_SEMAPHORE_PAYLOAD_UPPER (0x0000024C)"
    assert_eq!(c7b5::SetSemaphorePayloadUpper::DESC.offset, 0x24c);
    // C6B5 has no SET_SEMAPHORE_PAYLOAD_UPPER
    assert!(class::lookup(&c6b5::DESC, 0x24c).is_none());

    // C8B5 "#define NVC8B5_LAUNCH_DMA_COPY_TYPE 21:20" NONPROT2NONPROT 2, "_MEMORY_SCRUB_ENABLE 23:23" TRUE,
    // "_DISABLE_PLC 26:26" TRUE, "_FLUSH_TYPE 25:25" GL 1
    let w = c8b5::LaunchDma {
        copy_type: c8b5::LaunchDmaCopyType::Nonprot2nonprot,
        memory_scrub_enable: true,
        disable_plc: true,
        flush_type: c8b5::LaunchDmaFlushType::Gl,
        ..Default::default()
    }
    .to_word();
    assert_eq!(w, (2 << 20) | (1 << 23) | (1 << 26) | (1 << 25));
    // "#define NVC8B5_OFFSET_IN_UPPER (0x00000400)", "_UPPER 24:0"; LINE_COUNT 0x41C
    assert_eq!(c8b5::OffsetInUpper::DESC.offset, 0x400);
    assert_eq!(
        c8b5::OffsetInUpper { upper: 0x1ff_ffff }.to_word(),
        0x1ff_ffff
    );
    assert_eq!(c8b5::LineCount::DESC.offset, 0x41c);

    // C9B5 "#define NVC9B5_SET_SEMAPHORE_A_UPPER 24:0"; PITCH_OUT 0x414
    assert_eq!(
        c9b5::SetSemaphoreA { upper: 0x1ff_ffff }.to_word(),
        0x1ff_ffff
    );
    assert_eq!(c9b5::PitchOut::DESC.offset, 0x414);

    // CAB5 "#define NVCAB5_SET_REMAP_CONST_A (0x00000700)", "_V 31:0"; LINE_LENGTH_IN 0x418
    assert_eq!(cab5::SetRemapConstA::DESC.offset, 0x700);
    assert_eq!(cab5::LineLengthIn::DESC.offset, 0x418);
    assert_eq!(
        cab5::SetRemapConstA { v: 0xcafe_f00d }.to_word(),
        0xcafe_f00d
    );
}

// ---- GPFIFO entries ("#define NVC86F_GP_ENTRY0_GET 31:2", "_ENTRY1_GET_HI 7:0", "_ENTRY1_LEVEL 9:9",
// ---- "_ENTRY1_LENGTH 30:10", "_ENTRY1_SYNC 31:31", "_ENTRY0_FETCH 0:0", "_ENTRY1_OPCODE 7:0")

#[test]
fn gpfifo_golden() {
    let e = GpEntry::segment(0x12_3456_7890, 0x40).unwrap();
    assert_eq!(e.encode().unwrap(), [0x3456_7890, 0x12 | (0x40 << 10)]);
    assert_eq!(e.encode_u64().unwrap(), 0x0001_0012_3456_7890);
    let e = GpEntry::Segment {
        address: 0xff_ffff_fffc,
        length: (1 << 21) - 1,
        fetch: Fetch::Conditional,
        level: Level::Subroutine,
        sync: Sync::Wait,
    };
    assert_eq!(e.encode().unwrap(), [0xffff_fffd, 0xffff_feff]);
    assert_eq!(GpEntry::decode(e.encode().unwrap()), e);
    let c = GpEntry::Control {
        opcode: Opcode::SetPbSegmentExtendedBase,
        operand: 0x0012_3400,
        sync: Sync::Proceed,
    };
    assert_eq!(c.encode().unwrap(), [0x0012_3400, 4]);
    assert_eq!(GpEntry::decode([0x0012_3400, 4]), c);
    assert!(matches!(
        GpEntry::segment(0x100_0000_0000, 1),
        Err(Error::GpEntryOutOfRange {
            what: "address",
            ..
        })
    ));
    assert!(matches!(
        GpEntry::segment(0x1002, 1),
        Err(Error::GpEntryOutOfRange {
            what: "address",
            ..
        })
    ));
    assert!(matches!(
        GpEntry::segment(0x1000, 0),
        Err(Error::GpEntryOutOfRange { what: "length", .. })
    ));
    assert!(matches!(
        GpEntry::segment(0x1000, 1 << 21),
        Err(Error::GpEntryOutOfRange { what: "length", .. })
    ));
}

// ---- USERD ("NvU32 GPGet; /* ... 0088-008b */", "NvU32 GPPut; /* ... 008c-008f */" in Nvc86fControl)

#[test]
fn userd_layout() {
    assert_eq!(core::mem::size_of::<ChannelControl>(), 0x200);
    assert_eq!(core::mem::offset_of!(ChannelControl, gp_put), 0x8c);
    assert_eq!(core::mem::offset_of!(ChannelControl, gp_get), 0x88);
    assert_eq!(core::mem::offset_of!(ChannelControl, put), 0x40);
    let l = userd::userd_layout(0xC86F).unwrap();
    assert_eq!((l.gp_put, l.gp_get, l.size), (0x8c, Some(0x88), 0x200));
    // Nvc96fControl: Ignored00[0x23] then GPPut
    let l = userd::userd_layout(0xCA6F).unwrap();
    assert_eq!((l.gp_put, l.gp_get, l.size), (0x8c, None, 0x200));
    assert!(userd::userd_layout(0xCBC0).is_none());
    assert_eq!(userd::advance_gp_put(1023, 2, 1024), Some(1));
    assert_eq!(userd::advance_gp_put(5, 1, 0), None);
}
