//! The RM control calls this driver makes: command numbers (from the `ctrl*.h` headers of OpenRM
//! 580.142, cited per item) paired with their parameter structs in [`super::abi::r580`].

use super::abi::r580;
use super::RmControl;

macro_rules! controls {
    ($($(#[$m:meta])* $name:ident = $cmd:literal => $params:ty;)*) => {$(
        $(#[$m])*
        #[derive(Debug)]
        pub enum $name {}
        impl RmControl for $name {
            const CMD: u32 = $cmd;
            type Params = $params;
            const NAME: &'static str = stringify!($name);
        }
    )*};
}

controls! {
    /// `NV0000_CTRL_CMD_SYSTEM_GET_BUILD_VERSION_V2` (ctrl0000system.h), on the client.
    SystemGetBuildVersionV2 = 0x13e => r580::Nv0000GetBuildVersionV2;
    /// `NV0000_CTRL_CMD_GPU_GET_ID_INFO_V2` (ctrl0000gpu.h), on the client.
    GpuGetIdInfoV2 = 0x205 => r580::Nv0000GpuGetIdInfoV2;
    /// `NV0080_CTRL_CMD_GPU_GET_CLASSLIST_V2` (ctrl0080gpu.h), on the device.
    GpuGetClassListV2 = 0x0080_0292 => r580::Nv0080GetClassListV2;
    /// `NV2080_CTRL_CMD_GR_GET_INFO_V2` (ctrl2080gr.h), on the subdevice.
    GrGetInfoV2 = 0x2080_1228 => r580::GrGetInfoV2;
    /// `NV2080_CTRL_CMD_GPU_GET_GID_INFO` (ctrl2080gpu.h), on the subdevice.
    GpuGetGidInfo = 0x2080_014a => r580::Nv2080GetGidInfo;
    /// `NV2080_CTRL_CMD_GPU_GET_NAME_STRING` (ctrl2080gpu.h), on the subdevice.
    GpuGetNameString = 0x2080_0110 => r580::Nv2080GetNameString;
    /// `NV2080_CTRL_CMD_FB_GET_INFO_V2` (ctrl2080fb.h), on the subdevice.
    FbGetInfoV2 = 0x2080_1303 => r580::Nv2080FbGetInfoV2;
    /// `NV2080_CTRL_CMD_MC_GET_ARCH_INFO` (ctrl2080mc.h), on the subdevice.
    McGetArchInfo = 0x2080_1701 => r580::Nv2080McGetArchInfo;
    /// `NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN` (ctrlc36f.h), on a channel.
    GpfifoGetWorkSubmitToken = 0xc36f_0108 => r580::NvC36fGetWorkSubmitToken;
    /// `NVA06C_CTRL_CMD_GPFIFO_SCHEDULE` (ctrla06c.h), on a channel group.
    ChannelGroupSchedule = 0xa06c_0101 => r580::GpfifoSchedule;
    /// `NV83DE_CTRL_CMD_DEBUG_READ_ALL_SM_ERROR_STATES` (ctrl83dedebug.h), on the debugger object.
    DebugReadAllSmErrorStates = 0x83de_030c => r580::Nv83deReadAllSmErrorStates;
    /// `NV83DE_CTRL_CMD_DEBUG_READ_MMU_FAULT_INFO` (ctrl83dedebug.h), on the debugger object.
    DebugReadMmuFaultInfo = 0x83de_0328 => r580::Nv83deReadMmuFaultInfo;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Control numbers are `(class << 16) | (category << 8) | index` (OpenRM ctrlxxxx.h); check the
    /// class part of each command against the class it is sent to.
    #[test]
    fn command_numbers_name_their_class() {
        assert_eq!(SystemGetBuildVersionV2::CMD >> 16, 0x0000);
        assert_eq!(GpuGetIdInfoV2::CMD >> 16, 0x0000);
        assert_eq!(GpuGetClassListV2::CMD >> 16, 0x0080);
        assert_eq!(GrGetInfoV2::CMD >> 16, 0x2080);
        assert_eq!(GpuGetGidInfo::CMD >> 16, 0x2080);
        assert_eq!(FbGetInfoV2::CMD >> 16, 0x2080);
        assert_eq!(GpfifoGetWorkSubmitToken::CMD >> 16, 0xc36f);
        assert_eq!(ChannelGroupSchedule::CMD >> 16, 0xa06c);
        assert_eq!(DebugReadAllSmErrorStates::CMD >> 16, 0x83de);
        assert_eq!(DebugReadMmuFaultInfo::CMD >> 16, 0x83de);
        assert_eq!(GrGetInfoV2::NAME, "GrGetInfoV2");
    }
}
